// 热线受理 (templates/events/hotline.html): pick the place on the town's grid map, find a
// category by typing, and see a caller's earlier cases as their number is typed. Without
// JavaScript the page still works: tiles and the full list, a grid and an address.
(function () {
  var form = document.getElementById('hotline');
  if (!form) return;

  // --- the place: a pin on the grid map fills lat/lon and the grid -------------------------
  var element = document.getElementById('pick-map'), picked = document.getElementById('picked');
  if (element && window.L && window.gridgovMap) {
    L.Icon.Default.imagePath = element.dataset.icons;
    var grids = window.gridgovMap(element), pin = null, select = form.grid_code;
    var say = function (text, bad) { picked.textContent = text; picked.classList.toggle('error', !!bad); };
    var place = function (lat, lon, fromMap) {
      var grid = grids.gridAt(lat, lon);
      if (!grid) {
        say(element.dataset.outside, true);
        if (pin && fromMap) { pin.remove(); pin = null; }
        form.lat.value = ''; form.lon.value = '';
        return;
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
  }

  // --- the category: tiles, or the full list filtered as one types -------------------------
  var search = document.getElementById('category-search');
  if (search) {
    var lines = form.querySelectorAll('.all-categories label.line'),
        none = form.querySelector('.all-categories .none');
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

  // --- the caller: their earlier cases, as the number is typed ----------------------------
  var earlier = document.getElementById('earlier'), phone = form.caller_phone, timer = null, asked = '';
  if (earlier && phone && window.fetch) {
    var list = earlier.querySelector('ul'), empty = earlier.querySelector('.none'),
        more = earlier.querySelector('.more');
    var look = function () {
      var digits = phone.value.replace(/\D/g, '');
      if (digits.length < 7 || digits === asked) { if (digits.length < 7) earlier.hidden = true; return; }
      asked = digits;
      fetch(earlier.dataset.url + '?phone=' + encodeURIComponent(digits),
            { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (body) {
          if (digits !== asked) return;
          list.textContent = '';
          body.items.forEach(function (item) {
            var li = document.createElement('li'), a = document.createElement('a'), meta = document.createElement('span');
            a.href = item.url; a.target = '_blank'; a.textContent = item.number + ' ' + item.category;
            meta.className = 'meta state-' + item.state_code; meta.textContent = item.state + ' · ' + item.reported;
            li.appendChild(a); li.appendChild(meta); list.appendChild(li);
          });
          empty.hidden = body.items.length > 0;
          more.hidden = !body.more;
          if (body.more) more.querySelector('a').href = body.more;
          earlier.hidden = false;
        }, function () { earlier.hidden = true; });
    };
    phone.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(look, 300); });
    phone.addEventListener('change', look);
    if (phone.value) look();
  }
})();
