// The dashboard's map: open reports as circle markers (red when late), from /dashboard/map.json.
// Tiles only when the operator configured a tile server (DASHBOARD_MAP_TILES); otherwise markers on a plain ground.
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || !window.L) { return; }
  var map = L.map(box).setView([parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)], 12);
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, {maxZoom: 19, attribution: box.dataset.attribution || ""}).addTo(map);
  }
  fetch(box.dataset.points, {credentials: "same-origin"})
    .then(function (r) { return r.json(); })
    .then(function (points) {
      var bounds = [];
      points.forEach(function (p) {
        var late = p.late > 0;
        var marker = L.circleMarker([p.lat, p.lon], {
          radius: 7, weight: 2, color: late ? "#8b1a1a" : "#1f5f99", fillOpacity: 0.6, className: "case-marker"
        }).addTo(map);
        var link = document.createElement("a");
        link.href = "/dashboard/cases/" + encodeURIComponent(p.code);
        link.textContent = p.code;
        var text = document.createElement("div");
        text.appendChild(link);
        text.appendChild(document.createElement("br"));
        text.appendChild(document.createTextNode(p.category + " · " + p.unit));
        if (late) {
          text.appendChild(document.createElement("br"));
          text.appendChild(document.createTextNode(box.dataset.late.replace("{days}", p.late)));
        }
        marker.bindPopup(text);
        bounds.push([p.lat, p.lon]);
      });
      if (bounds.length) { map.fitBounds(bounds, {padding: [24, 24], maxZoom: 15}); }
      document.getElementById("map-count").textContent = String(points.length);
      box.dataset.loaded = String(points.length);
    });
})();
