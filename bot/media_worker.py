"""The process that decodes untrusted pictures: `python -m bot.media_worker MAX_PIXELS MEMORY_BYTES CPU_SECONDS`.

It reads one file on stdin and writes `ok MIME\\n` and the clean bytes, or `no REASON\\n`, on stdout. Its address
space and CPU time are capped by the kernel before it reads a byte, so a picture that inflates past the cap
kills this process, not the server; the server also kills it at its wall-clock limit (bot.services.imaging).
"""

from __future__ import annotations

import resource
import sys


def main(argv: list[str]) -> int:
    max_pixels, memory, cpu = int(argv[0]), int(argv[1]), int(argv[2])
    import PIL.Image  # noqa: F401

    from bot.domain.media import MediaRejected, strip_metadata  # Pillow is loaded before the cap
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    content = sys.stdin.buffer.read()
    try:
        clean, mime = strip_metadata(content, max_pixels)
    except MediaRejected as refused:
        sys.stdout.buffer.write(f"no {refused.reason}\n".encode())
        return 0
    sys.stdout.buffer.write(f"ok {mime}\n".encode() + clean)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
