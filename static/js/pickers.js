// The report forms' pickers (templates/events/_pickers.html: 热线受理, 巡查上报): the place as a
// pin on the town's grid map (static/js/gridmap.js) — it fills lat/lon and the grid — and a
// category found by typing. Without JavaScript: a grid and an address, tiles and the list.
(function () {
  // --- the place: a pin on the grid map fills lat/lon and the grid -------------------------
  var element = document.getElementById('pick-map'), picked = document.getElementById('picked');
  var form = element && element.closest('form');
  if (element && form && window.L && window.gridgovMap) {
    L.Icon.Default.imagePath = element.dataset.icons;
    var grids = window.gridgovMap(element), pin = null, select = form.grid_code;
    var say = function (text, bad) { picked.textContent = text; picked.classList.toggle('error', !!bad); };
    var place = function (lat, lon, fromMap) {
      var grid = grids.gridAt(lat, lon);
      if (!grid) {
        say(element.dataset.outside, true);
        if (pin && fromMap) { pin.remove(); pin = null; }
        form.lat.value = ''; form.lon.value = '';
        return false;
      }
      if (!pin) {
        pin = L.marker([lat, lon], { draggable: true, keyboard: true }).addTo(grids.map);
        pin.on('dragend', function () { var p = pin.getLatLng(); place(p.lat, p.lng, false); });
      } else {
        pin.setLatLng([lat, lon]);
      }
      form.lat.value = lat.toFixed(6); form.lon.value = lon.toFixed(6);
      select.value = grid.properties.code;
      say(element.dataset.picked + grid.properties.name + '（' + lat.toFixed(5) + ', ' + lon.toFixed(5) + '）', false);
      return true;
    };
    // a click on a grid bubbles up to the map: one handler for inside and outside
    grids.map.on('click', function (event) { place(event.latlng.lat, event.latlng.lng, true); });
    select.addEventListener('change', function () {
      var shape = select.value && grids.shapeOf(select.value);
      if (!shape) return;
      grids.map.fitBounds(shape.getBounds(), { maxZoom: grids.map.getZoom() + 2 });
      if (pin) {  // a pin outside the chosen grid no longer says where the problem is
        var p = pin.getLatLng(), grid = grids.gridAt(p.lat, p.lng);
        if (!grid || grid.properties.code !== select.value) {
          pin.remove(); pin = null; form.lat.value = ''; form.lon.value = ''; say('', false);
        }
      }
    });
    if (form.lat.value && form.lon.value) place(parseFloat(form.lat.value), parseFloat(form.lon.value), false);
    // a position from elsewhere (the phone's GPS, static/js/field.js): the pin goes there
    // (outside every grid the map stays on the grids, so the right place can be tapped)
    form.gridgovPlace = function (lat, lon) {
      if (place(lat, lon, true)) grids.map.setView([lat, lon], Math.max(grids.map.getZoom(), 15));
    };
    form.gridgovMap = grids;
  }

  // --- the category: tiles, or the full list filtered as one types -------------------------
  var search = document.getElementById('category-search'), kinds = search && search.closest('form');
  if (search && kinds) {
    var lines = kinds.querySelectorAll('.all-categories label.line'),
        none = kinds.querySelector('.all-categories .none');
    search.addEventListener('input', function () {
      var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean), shown = 0;
      Array.prototype.forEach.call(lines, function (line) {
        var text = line.dataset.words.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) >= 0; });
        line.hidden = !match; if (match) shown++;
      });
      none.hidden = shown > 0;
    });
    search.addEventListener('keydown', function (event) {  // Enter picks the first match
      if (event.key !== 'Enter') return;
      event.preventDefault();
      var first = Array.prototype.find.call(lines, function (line) { return !line.hidden; });
      if (first) { first.querySelector('input').checked = true; first.querySelector('input').focus(); }
    });
  }

})();
