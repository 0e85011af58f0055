// Staff forms (templates/events/_photos.html): a chosen photo is shrunk in the browser
// (≤ 1600 px, as on the residents' form) and uploaded at once to POST /uploads; the form then
// carries its id (photo_ids), so a form refused for another reason keeps the photo.
// Without JavaScript the file input is sent with the form instead.
(function () {
  var MAX = 1600;
  if (!window.fetch || !window.FormData || !window.Promise) return;

  function shrink(file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) { resolve(file); return; }
      createImageBitmap(file).then(function (bitmap) {
        var scale = Math.min(1, MAX / Math.max(bitmap.width, bitmap.height));
        if (scale === 1 && file.size < 1500000) { resolve(file); return; }
        var canvas = document.createElement('canvas');
        canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          resolve(blob ? new File([blob], file.name.replace(/\.\w+$/, '') + '.jpg', { type: 'image/jpeg' }) : file);
        }, 'image/jpeg', 0.85);
      }, function () { resolve(file); });
    });
  }

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
})();
