// 网格地图 (templates/field/map.html): the worker's grid boundary and QR points as the base,
// open cases as pins coloured by their clock (tap: number, category, time left, a link),
// and the worker's own position with its accuracy.
(function () {
  var element = document.getElementById('field-map');
  if (!element || !window.L || !window.gridgovMap) return;
  var grids = window.gridgovMap(element), map = grids.map;

  JSON.parse(element.dataset.marks).forEach(function (mark) {
    L.circleMarker([mark.lat, mark.lon], { radius: 6, color: '#13294b', weight: 2, fillColor: '#fff', fillOpacity: 1 })
      .bindTooltip(document.createTextNode(mark.label)).addTo(map);
  });
  JSON.parse(element.dataset.pins).forEach(function (pin) {
    window.gridgovPin(pin, element.dataset.open, 11).addTo(map);
  });
  if (navigator.geolocation) {
    var me = null, ring = null;
    navigator.geolocation.watchPosition(function (position) {
      var c = position.coords, at = [c.latitude, c.longitude];
      if (!me) {
        ring = L.circle(at, { radius: c.accuracy, color: '#0b63c5', weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
        me = L.circleMarker(at, { radius: 8, color: '#fff', weight: 3, fillColor: '#0b63c5', fillOpacity: 1, className: 'me' })
          .bindTooltip(element.dataset.me).addTo(map);
      } else { me.setLatLng(at); ring.setLatLng(at).setRadius(c.accuracy); }
    }, function () {}, { enableHighAccuracy: true, maximumAge: 15000 });
  }
})();
