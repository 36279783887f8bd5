// The offline page (templates/offline.html, shown by static/js/sw.js when the hub cannot be reached): show it
// in the language the tablet was last used in (pwa.js keeps it in localStorage), else the browser's, and
// retry the page that failed on "Try again".
(function () {
  var wanted = "";
  try { wanted = localStorage.getItem("resale-lang") || ""; } catch (e) { wanted = ""; }
  if (!wanted) wanted = navigator.language || "";
  var code = wanted.toLowerCase().indexOf("zh") === 0 ? "zh_CN" : "en";
  document.addEventListener("DOMContentLoaded", function () {
    var sections = document.querySelectorAll("[data-lang]");
    var chosen = document.querySelector('[data-lang="' + code + '"]') || sections[0];
    sections.forEach(function (section) { section.hidden = section !== chosen; });
    if (chosen) {
      document.documentElement.lang = chosen.getAttribute("lang");
      document.title = chosen.getAttribute("data-title");
    }
  });
  document.addEventListener("click", function (evt) {
    if (evt.target.closest && evt.target.closest("[data-reload]")) window.location.reload();
  });
})();
