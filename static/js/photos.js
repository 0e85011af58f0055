// Staff forms (templates/events/_photos.html): a chosen photo is shrunk in the browser
// (≤ 1600 px, as on the residents' form) and uploaded at once to POST /uploads; the form then
// carries its id (photo_ids), so a form refused for another reason keeps the photo.
// Without JavaScript the file input is sent with the form instead.
(function () {
  if (!window.fetch || !window.FormData || !window.Promise) return;

  var shrink = window.gridgovShrink;  // static/js/shrink.js

  function shown(message) { var error = new Error(message); error.shown = true; return error; }

  function picker(box) {
    var input = box.querySelector('input[type=file]'), list = box.querySelector('.held'),
        error = box.querySelector('.upload-error'), form = box.closest('form'),
        submit = form.querySelector('button[type=submit]'), pending = 0,
        limit = parseInt(box.dataset.max, 10) || 9, token = form.querySelector('input[name=csrf_token]');

    function say(text) { error.textContent = text || ''; error.hidden = !text; }
    function busy(delta) {
      pending += delta;
      if (submit) submit.disabled = pending > 0;
      box.classList.toggle('busy', pending > 0);
    }
    function upload(file, item) {
      return shrink(file).then(function (small) {
        var data = new FormData();
        data.append('file', small, small.name);
        return fetch(box.dataset.upload, {
          method: 'POST', body: data, credentials: 'same-origin',
          headers: { 'X-CSRFToken': token ? token.value : '', 'Accept': 'application/json' }
        });
      }).then(function (response) {
        if (response.redirected) throw shown(box.dataset.expired);
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw shown(box.dataset.failed + (body.message || response.status));
          return body;
        });
      }).then(function (body) {
        item.classList.remove('loading');
        item.textContent = '';
        var img = document.createElement('img'), id = document.createElement('input'),
            remove = document.createElement('button');
        img.src = body.thumb; img.alt = file.name;
        id.type = 'hidden'; id.name = 'photo_ids'; id.value = body.id;
        remove.type = 'button'; remove.className = 'remove'; remove.textContent = '×';
        remove.setAttribute('aria-label', box.dataset.remove);
        item.appendChild(img); item.appendChild(id); item.appendChild(remove);
      }, function (problem) {
        if (!problem.shown && form.hasAttribute('data-queue')) {
          // no signal: the photo stays on the phone and goes with the form when it is sent
          return shrink(file).then(function (small) {
            item.classList.remove('loading');
            item.textContent = '';
            var img = document.createElement('img'), remove = document.createElement('button');
            img.src = URL.createObjectURL(small); img.alt = file.name;
            remove.type = 'button'; remove.className = 'remove'; remove.textContent = '×';
            remove.setAttribute('aria-label', box.dataset.remove);
            item.pendingFile = small; item.classList.add('pending');
            item.appendChild(img); item.appendChild(remove);
          });
        }
        item.remove();  // a network failure's own text is the browser's, in English: say ours
        say(problem.shown ? problem.message : box.dataset.failed + box.dataset.network);
      });
    }

    list.addEventListener('click', function (event) {
      if (event.target.classList.contains('remove')) { event.target.closest('li').remove(); say(''); }
    });
    input.addEventListener('change', function () {
      var files = Array.prototype.slice.call(input.files);
      input.value = '';  // the ids travel with the form, not the files
      say('');
      var room = limit - list.children.length;
      if (files.length > room) { say(box.dataset.tooMany); files = files.slice(0, Math.max(room, 0)); }
      files.forEach(function (file) {
        var item = document.createElement('li');
        item.className = 'loading'; item.textContent = box.dataset.uploading;
        list.appendChild(item);
        busy(1);
        upload(file, item).then(function () { busy(-1); });
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('.photo-picker'), picker);
  // the photos kept on the phone for lack of signal, for the form's sending (field-queue.js)
  Array.prototype.forEach.call(document.querySelectorAll('form[data-queue]'), function (form) {
    form.gridgovPendingPhotos = function () {
      return Array.prototype.map.call(form.querySelectorAll('.photo-picker .held li.pending'),
        function (li) { return li.pendingFile; }).filter(Boolean);
    };
  });
})();
