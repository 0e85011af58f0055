// The GeoJSON import's preview: the file's grids (blue; refused ones red) over the town's
// grids in service (grey, dashed), on the grid polygons alone — no tile server needed.
(function () {
  var element = document.getElementById('import-map');
  if (!element || !window.gridgovMap) return;
  var bad = JSON.parse(element.dataset.bad || '[]');
  var current = JSON.parse(element.dataset.current || '{"features": []}');
  var drawn = window.gridgovMap(element);
  drawn.layer.setStyle(function (feature) {
    var wrong = bad.indexOf(feature.properties.code) >= 0;
    return { color: wrong ? '#c5221f' : '#0b63c5', weight: wrong ? 2.5 : 1.5,
             fillColor: wrong ? '#fce8e6' : '#d2e3fc', fillOpacity: 0.45 };
  });
  // names on hover: a split grid's halves are too narrow for labels that stay
  drawn.layer.eachLayer(function (shape) {
    shape.unbindTooltip();
    shape.bindTooltip(document.createTextNode(shape.feature.properties.name + ' ' + shape.feature.properties.code), { sticky: true });
  });
  var old = L.geoJSON(current, { interactive: false,
    style: function () { return { color: '#6b7280', weight: 1, dashArray: '4 4', fill: false }; } }).addTo(drawn.map);
  old.bringToBack();
  if (!drawn.layer.getLayers().length && old.getLayers().length) drawn.map.fitBounds(old.getBounds());
})();
