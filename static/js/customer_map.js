// The customer map: located customers as clustered markers over OpenStreetMap tiles. The markers
// come in one compact JSON request (data-points-url, customers.views.CustomerMapPointsView);
// if it fails the page says so, with a button to try again. The list under the map shows the
// same customers, so nothing here is needed to use the page: without tiles (offline) the
// markers still show on a blank map, and without Leaflet nothing happens.
(function () {
  "use strict";

  var KENYA = [0.02, 37.9];

  function text(tag, value) {
    var element = document.createElement(tag);
    element.textContent = value;
    return element;
  }

  // Names and the rest are customers' own words: always text, never HTML.
  function popup(customer) {
    var content = document.createElement("div");
    var name = text("a", customer.name);
    name.href = customer.url;
    name.className = "fw-semibold";
    content.appendChild(name);
    [customer.phone, customer.village, customer.group].forEach(function (value) {
      if (value) {
        content.appendChild(document.createElement("br"));
        content.appendChild(text("span", value));
      }
    });
    return content;
  }

  function AnswerError(reason) {
    this.reason = reason;
  }

  function show(map, group, data) {
    var at = {};
    data.columns.forEach(function (column, index) {
      at[column] = index;
    });
    group.clearLayers();
    data.points.forEach(function (point) {
      var customer = {
        name: point[at.name],
        phone: point[at.phone],
        village: point[at.village],
        group: point[at.group],
        url: data.customer_url.replace("{id}", String(point[at.id])),
      };
      L.marker([point[at.lat], point[at.lng]], { title: customer.name, alt: customer.name })
        .bindPopup(function () {
          return popup(customer);
        })
        .addTo(group);
    });
    // The view is set before the markers go on, so the map opens on them without an animation.
    if (data.points.length) {
      map.fitBounds(group.getBounds(), { padding: [24, 24], maxZoom: 15, animate: false });
    }
    group.addTo(map);
  }

  function load(container, map, group) {
    var problem = document.getElementById("customer-map-error");
    problem.hidden = true;
    container.setAttribute("aria-busy", "true");
    fetch(container.dataset.pointsUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(
        function (response) {
          if (!response.ok) {
            throw new AnswerError(problem.dataset.reasonStatus.replace("{status}", response.status));
          }
          // After the session ended the request is sent to the login page, which is not JSON.
          if ((response.headers.get("Content-Type") || "").indexOf("application/json") !== 0) {
            throw new AnswerError(problem.dataset.reasonAnswer);
          }
          return response.json().catch(function () {
            throw new AnswerError(problem.dataset.reasonAnswer);
          });
        },
        function () {
          throw new AnswerError(problem.dataset.reasonNetwork);
        }
      )
      .then(function (data) {
        if (!data || !Array.isArray(data.points) || !Array.isArray(data.columns)) {
          throw new AnswerError(problem.dataset.reasonAnswer);
        }
        show(map, group, data);
      })
      .catch(function (error) {
        problem.querySelector("[data-reason]").textContent =
          error instanceof AnswerError ? error.reason : problem.dataset.reasonAnswer;
        problem.hidden = false;
        if (!(error instanceof AnswerError) && window.console) {
          window.console.error(error);
        }
      })
      .then(function () {
        container.removeAttribute("aria-busy");
      });
  }

  function build() {
    var container = document.getElementById("customer-map");
    if (!container || typeof L === "undefined") {
      return;
    }
    var map = L.map(container, { scrollWheelZoom: false }).setView(KENYA, 6);
    L.tileLayer(container.dataset.tileUrl, {
      maxZoom: 19,
      attribution: container.dataset.attribution,
    }).addTo(map);
    var group = typeof L.markerClusterGroup === "function" ? L.markerClusterGroup() : L.featureGroup();
    document
      .querySelector("#customer-map-error [data-retry]")
      .addEventListener("click", function () {
        load(container, map, group);
      });
    load(container, map, group);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", build);
  } else {
    build();
  }
})();
