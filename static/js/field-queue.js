// Work done with no signal (issue 10): a patrol report, a check-in or an action on a case
// (核实, 核查 …) sent while offline — or whose sending fails on a weak signal — is kept on the
// phone (IndexedDB, photos included) and sent, oldest first, when the signal returns. Each
// carries its key (the report's form_token, the check-in's key, the action's action_key), so
// sending one twice never makes two. A send the server refuses (the case moved on, a field
// is wrong) stays listed with the server's words and a link to the case.
(function () {
  var DB = 'gridgov-field', STORE = 'outbox';

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  // a phone may pass from hand to hand: each sees and sends only the work they kept
  var user = document.body.dataset.user || '';
  function all() {
    return run('readonly', function (store) { return store.getAll(); }).then(function (items) {
      return items.filter(function (item) { return item.user === user; });
    });
  }

  function entries(data) {  // FormData → [[name, value, filename]]: Files and Blobs keep
    var list = [];
    data.forEach(function (value, name) { list.push([name, value, value instanceof File ? value.name : null]); });
    return list;
  }
  function formData(list) {
    var data = new FormData();
    list.forEach(function (e) { if (e[2] !== null) data.append(e[0], e[1], e[2]); else data.append(e[0], e[1]); });
    return data;
  }
  function problem(html) {  // the server's own words from a refusing page
    var doc = new DOMParser().parseFromString(html, 'text/html'), error = doc.querySelector('p.error');
    return error ? error.textContent.trim() : '';
  }

  var sending = false;
  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    var sent = 0, refused = 0;
    return all().then(function (items) {
      var chain = Promise.resolve(true);
      items.filter(function (item) { return !item.failed; }).forEach(function (item) {
        chain = chain.then(function (go) {
          if (!go) return false;
          return fetch(item.url, { method: 'POST', body: formData(item.fields), credentials: 'same-origin' })
            .then(function (response) {
              if (response.redirected && /\/login/.test(response.url)) return false;  // log in first
              if (response.ok) {
                sent += 1;
                return run('readwrite', function (store) { store.delete(item.id); }).then(function () { return true; });
              }
              if (response.status >= 500 || response.status === 429) return false;  // later
              refused += 1;
              return response.text().then(function (html) {
                item.failed = problem(html) || String(response.status);
                return run('readwrite', function (store) { store.put(item); }).then(function () { return true; });
              });
            }, function () { return false; });  // still no signal: try again later
        });
      });
      return chain;
    }).then(show, show).then(function () {
      sending = false;
      var box = document.getElementById('outbox');
      if ((sent || refused) && box && document.querySelector('.field-tabs, [data-refresh-after-send]')) {
        // the server answered: the home's queue (or a page marked data-refresh-after-send:
        // the 清雪 tasks) shown may be old (what was sent, or a case
        // that moved on meanwhile), so it is shown afresh, and what was sent is said
        if (sent) sessionStorage.setItem('gridgov.kept', box.dataset.sent.replace('{n}', sent));
        location.reload();
      }
    });
  }

  function show() {
    var box = document.getElementById('outbox');
    if (!box) return Promise.resolve();
    return all().then(function (items) {
      var waiting = items.filter(function (i) { return !i.failed; }), failed = items.filter(function (i) { return i.failed; });
      box.hidden = !items.length;
      box.querySelector('.waiting').textContent = waiting.length ? box.dataset.waiting.replace('{n}', waiting.length) : '';
      var list = box.querySelector('ul');
      list.textContent = '';
      failed.forEach(function (item) {
        var li = document.createElement('li'), text = document.createElement('span'), drop = document.createElement('button');
        text.textContent = box.dataset.failed.replace('{what}', item.label).replace('{why}', item.failed);
        drop.type = 'button'; drop.className = 'button'; drop.textContent = box.dataset.drop;
        drop.addEventListener('click', function () { run('readwrite', function (s) { s.delete(item.id); }).then(show); });
        li.appendChild(text);
        if (item.open) {  // the case moved on meanwhile: see what happened there
          var look = document.createElement('a');
          look.className = 'button'; look.href = item.open; look.textContent = box.dataset.open;
          li.appendChild(look);
        }
        li.appendChild(drop); list.appendChild(li);
      });
    });
  }

  function add(url, data, label, open) {
    return run('readwrite', function (store) {
      store.add({ url: url, fields: entries(data), label: label, open: open || null, user: user,
                  made: new Date().toISOString() });
    }).then(show);
  }

  // forms marked data-queue: sent by fetch; kept when there is no signal
  function take(form) {
    form.addEventListener('submit', function (event) {
      if (!window.fetch || !window.indexedDB) return;  // the plain form post
      event.preventDefault();
      // the attribute, not form.action: an input named "action" (the case forms) shadows it
      var data = new FormData(form), button = form.querySelector('button[type=submit]'),
          url = new URL(form.getAttribute('action') || location.href, location.href).href;
      (form.gridgovPendingPhotos ? form.gridgovPendingPhotos() : []).forEach(function (file) { data.append('photos', file, file.name); });
      var keep = function () {
        return add(url, data, form.dataset.queue, form.dataset.open).then(function () {
          sessionStorage.setItem('gridgov.kept', form.dataset.kept);
          location.href = form.dataset.after || '/field/';
        });
      };
      if (!navigator.onLine) { keep(); return; }
      if (button) button.disabled = true;
      fetch(url, { method: 'POST', body: data, credentials: 'same-origin' }).then(function (response) {
        // the page the server answered with (its flash message read once): shown as it is
        return response.text().then(function (html) {
          if (response.redirected) history.replaceState(null, '', response.url);
          document.open(); document.write(html); document.close();
        });
      }, keep);
    });
  }

  window.gridgovQueue = { add: add, flush: flush, show: show };
  Array.prototype.forEach.call(document.querySelectorAll('form[data-queue]'), take);
  var kept = sessionStorage.getItem('gridgov.kept');
  if (kept) {
    sessionStorage.removeItem('gridgov.kept');
    var note = document.getElementById('kept');
    if (note) { note.textContent = kept; note.className = 'flash'; note.hidden = false; }
  }
  window.addEventListener('online', flush);
  if (window.indexedDB) show().then(flush);
})();
