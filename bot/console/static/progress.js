// A broadcast's counts, refreshed every 3 seconds while it goes out. The page works
// without this script (the counts are in the HTML; "refresh" reloads them).
(function () {
  var box = document.getElementById("progress");
  if (!box || !window.fetch) return;
  function tick() {
    fetch(box.getAttribute("data-url"), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        Object.keys(data).forEach(function (key) {
          var el = document.getElementById("n-" + key);
          if (el) el.textContent = String(data[key]);
        });
        if (data.pending > 0) setTimeout(tick, 3000);
      })
      .catch(function () { setTimeout(tick, 10000); });
  }
  setTimeout(tick, 3000);
})();
