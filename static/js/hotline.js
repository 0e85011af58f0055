// 热线受理 (templates/events/hotline.html): a caller's earlier cases as their number is typed
// (the map and the category search are static/js/pickers.js). Without JavaScript the page
// still works.
(function () {
  var form = document.getElementById('hotline');
  if (!form) return;

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
