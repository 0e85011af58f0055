// window.gridgovShrink(file) → a Promise of the photo to upload: a JPEG, PNG or WebP larger
// than 1,600 px on its long side (or over 1.5 MB) redrawn as a JPEG at 1,600 px; any other
// file as it is (the server decodes and checks it again). Used by the residents' form
// (report.js) and the staff forms (photos.js).
(function () {
  var MAX = 1600;
  window.gridgovShrink = function (file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) { resolve(file); return; }
      createImageBitmap(file).then(function (bitmap) {
        try {  // whatever fails here, the photo goes as it is: never a form stuck waiting
          var scale = Math.min(1, MAX / Math.max(bitmap.width, bitmap.height));
          if (scale === 1 && file.size < 1500000) { resolve(file); return; }
          var canvas = document.createElement('canvas');
          canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
          canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
          canvas.toBlob(function (blob) {
            resolve(blob ? new File([blob], file.name.replace(/\.\w+$/, '') + '.jpg', { type: 'image/jpeg' }) : file);
          }, 'image/jpeg', 0.85);
        } catch (e) { resolve(file); }
      }, function () { resolve(file); });
    });
  };
})();
