/* The map: search results and a profile at their public points (Leaflet, vendored in static/vendor/).
 *
 * An enhancement only: without JavaScript the page is complete, and this script just fills in the hidden
 * container the page carries ([data-map]). The search map reads /api/v1/organizations.geojson with the
 * page's own query string; the profile map reads its one public point from the container. The base layer
 * is Natural Earth's country outlines, served by this site, unless the site sets a tile server. Nothing
 * here writes HTML from data: names go in as text.
 */
(function () {
  "use strict";

  var container = document.querySelector("[data-map]");
  if (!container || !window.L) {
    return;
  }
  var data = container.dataset;
  var hasTiles = Boolean(data.tileUrl);
  // Those who ask for less motion get none: no animated zooms, fades or cluster splits.
  var animate = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  // The outlines have no detail beyond about zoom 7; tiles have.
  var maxZoom = hasTiles ? 18 : 7;

  function fetchJSON(url) {
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" } }).then(function (response) {
      if (!response.ok) {
        throw new Error(url + ": " + response.status);
      }
      return response.json();
    });
  }

  function makeMap() {
    container.closest("figure").hidden = false;
    var map = L.map(container, {
      maxZoom: maxZoom,
      minZoom: 0,
      zoomControl: false,
      worldCopyJump: true,
      zoomAnimation: animate,
      fadeAnimation: animate,
      markerZoomAnimation: animate,
    }).setView([15, 10], 1);
    map.createPane("base"); // the outlines, under everything else drawn (see map.css)
    L.control.zoom({ zoomInTitle: data.zoomIn, zoomOutTitle: data.zoomOut }).addTo(map);
    // Leaflet's own words are English: its credit without the English tooltip, its popups' close button
    // named in the page's language.
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    map.on("popupopen", function (event) {
      var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", data.close);
        close.title = data.close;
      }
    });
    if (hasTiles) {
      L.tileLayer(data.tileUrl, { maxZoom: maxZoom, attribution: data.tileAttribution || "" }).addTo(map);
    } else {
      map.attributionControl.addAttribution(data.tileAttribution);
    }
    return map;
  }

  /* The country outlines: the base layer offline; with tiles, only for outlining one country. */
  function loadOutlines(map, highlight) {
    return fetchJSON(data.outlines).then(function (outlines) {
      if (!hasTiles) {
        L.geoJSON(outlines, { interactive: false, className: "map-land", pane: "base" }).addTo(map);
      }
      if (!highlight) {
        return null;
      }
      var country = L.geoJSON(outlines, {
        interactive: false,
        className: "map-country",
        filter: function (feature) {
          return feature.properties.country === highlight;
        },
      });
      return country.getLayers().length ? country.addTo(map) : null;
    });
  }

  function popupFor(properties) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = properties.url;
    link.textContent = properties.name;
    var place = document.createElement("p");
    place.textContent = properties.place;
    box.appendChild(link);
    box.appendChild(place);
    return box;
  }

  function marker(latlng, name) {
    return L.marker(latlng, { alt: name, title: name, keyboard: true });
  }

  /* Cluster icons as markercluster draws them, without its English "markers" label. */
  function clusterIcon(cluster) {
    var count = cluster.getChildCount();
    var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    var inner = document.createElement("div");
    var label = document.createElement("span");
    label.textContent = String(count);
    inner.appendChild(label);
    return L.divIcon({
      html: inner.outerHTML,
      className: "marker-cluster marker-cluster-" + size,
      iconSize: L.point(40, 40),
    });
  }

  function showResults(map) {
    var messageBox = container.closest("figure").querySelector(".map-message");
    var outlines = loadOutlines(map, null);
    return fetchJSON(data.geojson + window.location.search).then(function (collection) {
      var clusters = L.markerClusterGroup({
        maxClusterRadius: 40,
        showCoverageOnHover: false,
        animate: animate,
        iconCreateFunction: clusterIcon,
      });
      collection.features.forEach(function (feature) {
        var c = feature.geometry.coordinates;
        clusters.addLayer(marker([c[1], c[0]], feature.properties.name).bindPopup(popupFor(feature.properties)));
      });
      map.addLayer(clusters);
      var bounds = clusters.getLayers().length ? clusters.getBounds() : null;
      if (collection.near) {
        var near = collection.near;
        var center = [near.latitude, near.longitude];
        var circle = L.circle(center, {
          radius: near.radius_km * 1000,
          interactive: false,
          className: "map-near",
        }).addTo(map);
        L.circleMarker(center, { radius: 5, interactive: false, className: "map-near-center" }).addTo(map);
        bounds = bounds ? bounds.extend(circle.getBounds()) : circle.getBounds();
      }
      if (bounds) {
        map.fitBounds(bounds, { padding: [20, 20], maxZoom: 6 });
      }
      if (collection.message) {
        messageBox.textContent = collection.message;
      }
      container.dataset.markers = String(collection.features.length);
      return outlines;
    });
  }

  function showProfile(map) {
    var point = [parseFloat(data.latitude), parseFloat(data.longitude)];
    var byCountry = data.precision === "country";
    // Country precision: the country's outline, not a pin (its point only stands for the country).
    return loadOutlines(map, byCountry ? data.country : null).then(function (country) {
      if (country) {
        map.fitBounds(country.getBounds(), { maxZoom: 5 });
        return;
      }
      marker(point, data.name).addTo(map);
      map.setView(point, byCountry ? 4 : Math.min(maxZoom, hasTiles ? 10 : 5));
    });
  }

  var map = makeMap();
  var shown = data.map === "profile" ? showProfile(map) : showResults(map);
  shown
    .then(function () {
      container.dataset.state = "ready";
    })
    .catch(function () {
      // The list (or the profile) is the page: without its data, the map is left out.
      map.remove();
      container.closest("figure").hidden = true;
      container.dataset.state = "failed";
    });
})();
