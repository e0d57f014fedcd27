// The location picker on the customer forms: a small map under the latitude/longitude boxes.
// Clicking the map fills both boxes (6 decimals); typing coordinates moves the marker. The boxes
// work on their own: without Leaflet or map tiles the form is unchanged.
(function () {
  "use strict";

  var KENYA = [0.02, 37.9];

  function parse(input) {
    var value = parseFloat((input.value || "").replace(",", "."));
    return isNaN(value) ? null : value;
  }

  function build() {
    var latitude = document.getElementById("id_latitude");
    var longitude = document.getElementById("id_longitude");
    if (!latitude || !longitude || typeof L === "undefined") {
      return;
    }
    var labels = {};
    var labelData = document.getElementById("location-picker-labels");
    if (labelData) {
      labels = JSON.parse(labelData.textContent);
    }
    var wrapper = longitude.closest(".mb-3") || longitude.parentNode;
    var container = document.createElement("div");
    container.id = "location-picker";
    container.className = "location-picker border rounded mb-1";
    container.style.height = "260px";
    container.setAttribute("role", "region");
    if (labels.map) {
      container.setAttribute("aria-label", labels.map);
    }
    var help = document.createElement("div");
    help.className = "form-text mb-3";
    help.textContent = labels.help || "";
    wrapper.parentNode.insertBefore(container, wrapper.nextSibling);
    container.parentNode.insertBefore(help, container.nextSibling);

    var map = L.map(container).setView(KENYA, 6);
    L.tileLayer(labels.tileUrl || "https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: labels.attribution || "",
    }).addTo(map);
    var marker = null;

    function place(lat, lng) {
      if (marker) {
        marker.setLatLng([lat, lng]);
      } else {
        marker = L.marker([lat, lng]).addTo(map);
      }
    }

    function fromInputs(recentre) {
      var lat = parse(latitude);
      var lng = parse(longitude);
      if (lat === null || lng === null || lat < -90 || lat > 90 || lng < -180 || lng > 180) {
        return;
      }
      place(lat, lng);
      if (recentre) {
        map.setView([lat, lng], Math.max(map.getZoom(), 13));
      }
    }

    map.on("click", function (event) {
      var point = event.latlng.wrap();
      latitude.value = point.lat.toFixed(6);
      longitude.value = point.lng.toFixed(6);
      place(point.lat, point.lng);
      [latitude, longitude].forEach(function (input) {
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
    [latitude, longitude].forEach(function (input) {
      input.addEventListener("input", function () {
        fromInputs(true);
      });
    });
    fromInputs(true);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", build);
  } else {
    build();
  }
})();
