// A town's grid map on Leaflet (static/vendor/leaflet): the grid polygons are the base
// layer (the element's data-shapes) — no tile server is needed; a configured one
// (MAP_TILE_URL, data-tiles) is drawn beneath them; data-labels="hover" names a grid only
// under the pointer. window.gridgovMap(element) → {map, layer, gridAt}.
(function () {
  // a point in a GeoJSON polygon ring ([lon, lat] pairs): ray casting
  function inRing(lon, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function inPolygon(lon, lat, rings) {
    if (!inRing(lon, lat, rings[0])) return false;
    for (var k = 1; k < rings.length; k++) if (inRing(lon, lat, rings[k])) return false;  // a hole
    return true;
  }
  function covers(geometry, lon, lat) {
    if (geometry.type === 'Polygon') return inPolygon(lon, lat, geometry.coordinates);
    if (geometry.type === 'MultiPolygon') {
      return geometry.coordinates.some(function (rings) { return inPolygon(lon, lat, rings); });
    }
    return false;
  }

  // A case as a pin coloured by its clock (events.queries.pin_json), its popup naming it
  // with a link `open` to the case page: the field map's and the board's.
  var PIN_COLORS = { red: '#c5221f', yellow: '#c98a00', green: '#1e8e3e', grey: '#6b7280' };
  window.gridgovPin = function (pin, open, radius) {
    var box = document.createElement('div'), title = document.createElement('strong'),
        meta = document.createElement('div'), link = document.createElement('a');
    title.textContent = pin.category + ' ' + pin.number;
    meta.textContent = pin.state + (pin.left ? ' · ' + pin.left : '') + (pin.address ? ' · ' + pin.address : '');
    link.href = pin.url; link.textContent = open; link.className = 'button';
    box.appendChild(title); box.appendChild(meta); box.appendChild(link);
    return L.circleMarker([pin.lat, pin.lon], { radius: radius, color: '#fff', weight: 2,
                                                fillColor: PIN_COLORS[pin.color] || PIN_COLORS.grey, fillOpacity: 0.95,
                                                className: 'case-pin case-' + pin.color }).bindPopup(box);
  };

  window.gridgovMap = function (element) {
    var shapes = JSON.parse(element.dataset.shapes);  // a GeoJSON FeatureCollection
    var map = L.map(element, { zoomSnap: 0.25, attributionControl: false });
    if (element.dataset.tiles) L.tileLayer(element.dataset.tiles, { maxZoom: 19 }).addTo(map);
    var layer = L.geoJSON(shapes, {
      style: function () { return { color: '#0b63c5', weight: 1.5, fillColor: '#d2e3fc', fillOpacity: 0.35 }; },
      onEachFeature: function (feature, shape) {
        shape.bindTooltip(document.createTextNode(feature.properties.name), { direction: 'center', className: 'grid-label', permanent: element.dataset.labels !== 'hover' && shapes.features.length <= 30 && element.clientWidth >= 600 });
      }
    }).addTo(map);
    if (shapes.features.length) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    return {
      map: map, layer: layer,
      // the grid feature covering a point, or null
      gridAt: function (lat, lon) {
        for (var i = 0; i < shapes.features.length; i++) {
          if (covers(shapes.features[i].geometry, lon, lat)) return shapes.features[i];
        }
        return null;
      },
      shapeOf: function (code) {
        var found = null;
        layer.eachLayer(function (shape) { if (shape.feature.properties.code === code) found = shape; });
        return found;
      }
    };
  };
})();
