// A little help on top of a form that works without it: move to the error summary, and count
// what is left of the summary's characters as the applicant types.
"use strict";
(function () {
  var summary = document.getElementById("error-summary");
  if (summary && document.activeElement !== summary) summary.focus();

  document.querySelectorAll("textarea[data-max]").forEach(function (field) {
    var max = Number(field.dataset.max);
    var counter = document.getElementById(field.id + "-counter");
    var spoken = document.getElementById(field.id + "-counter-spoken");
    if (!counter || !spoken) return;
    var timer = null;
    function count() {
      var remaining = max - field.value.length;
      var words = remaining >= 0 ? counter.dataset.left : counter.dataset.over;
      counter.classList.toggle("over", remaining < 0);
      return words.replace("{n}", String(Math.abs(remaining)));
    }
    counter.textContent = count();
    counter.hidden = false;
    field.addEventListener("input", function () {
      counter.textContent = count();
      // Screen readers hear the count once typing pauses, not at every key.
      clearTimeout(timer);
      timer = setTimeout(function () { spoken.textContent = count(); }, 800);
    });
  });
})();
