/*
 * Shahrvand portal: draws a parcel's outline with the vendored Leaflet, on a plain background.
 * No tiles are loaded from anywhere; the polygon comes from a JSON script element (CSP-safe).
 */
(function () {
  "use strict";

  function drawOutline(element) {
    var source = document.getElementById(element.getAttribute("data-outline-id"));
    if (!source || typeof L === "undefined") {
      return;
    }
    var points;
    try {
      points = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    if (!Array.isArray(points) || points.length < 3) {
      return;
    }
    var map = L.map(element, {
      attributionControl: false,
      zoomControl: true,
      scrollWheelZoom: false,
      zoomSnap: 0.25,
      maxZoom: 22,
    });
    var outline = L.polygon(points, {
      color: "#0b6e69",
      weight: 3,
      fillColor: "#12857e",
      fillOpacity: 0.25,
    }).addTo(map);
    map.fitBounds(outline.getBounds(), { padding: [28, 28], maxZoom: 21 });
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    element.classList.add("portal-map--ready");
  }

  function start() {
    var maps = document.querySelectorAll("[data-outline-id]");
    for (var i = 0; i < maps.length; i += 1) {
      drawOutline(maps[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
