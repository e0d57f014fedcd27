// The customer map: located customers as clustered markers over OpenStreetMap tiles. The list
// under the map shows the same customers, so nothing here is needed to use the page: without
// tiles (offline) the markers still show on a blank map, and without Leaflet nothing happens.
(function () {
  "use strict";

  function text(tag, value) {
    var element = document.createElement(tag);
    element.textContent = value;
    return element;
  }

  function popup(marker) {
    var content = document.createElement("div");
    var name = document.createElement("a");
    name.href = marker.url;
    name.textContent = marker.name;
    name.className = "fw-semibold";
    content.appendChild(name);
    [marker.phone, marker.village, marker.group].forEach(function (value) {
      if (value) {
        content.appendChild(document.createElement("br"));
        content.appendChild(text("span", value));
      }
    });
    return content;
  }

  function build() {
    var container = document.getElementById("customer-map");
    var data = document.getElementById("customer-map-markers");
    if (!container || !data || typeof L === "undefined") {
      return;
    }
    var markers = JSON.parse(data.textContent);
    var map = L.map(container, { scrollWheelZoom: false });
    L.tileLayer(container.dataset.tileUrl, {
      maxZoom: 19,
      attribution: container.dataset.attribution,
    }).addTo(map);

    var group = typeof L.markerClusterGroup === "function" ? L.markerClusterGroup() : L.featureGroup();
    markers.forEach(function (marker) {
      L.marker([marker.lat, marker.lng], { title: marker.name, alt: marker.name })
        .bindPopup(function () {
          return popup(marker);
        })
        .addTo(group);
    });
    // The view is set before the markers go on, so the map opens on them without an animation.
    if (markers.length) {
      map.fitBounds(group.getBounds(), { padding: [24, 24], maxZoom: 15, animate: false });
    } else {
      map.setView([0.02, 37.9], 6); // Kenya
    }
    group.addTo(map);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", build);
  } else {
    build();
  }
})();
