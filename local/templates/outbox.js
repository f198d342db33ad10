// Tells, without reloading the page under the reader, that new emails have arrived.
"use strict";
(function () {
  var news = document.getElementById("news");
  if (!news) return;
  var seen = Number(news.dataset.count);
  setInterval(function () {
    // Only the emails after the ones shown: a count, however many there are.
    fetch("/messages.json?after=" + seen).then(function (r) { return r.json(); }).then(function (messages) {
      var fresh = messages.length;
      if (fresh <= 0) return;
      news.innerHTML = "";
      var link = document.createElement("a");
      link.href = "/";
      link.textContent = fresh === 1 ? "1 new email: show it" : fresh + " new emails: show them";
      news.appendChild(link);
    }).catch(function () {});
  }, 3000);
})();
