// care serve, quicker with JavaScript and usable without it: the search lists customers
// as the name is typed (the same /customers page a plain form asks for, read in the
// background), and a form sent once cannot be sent twice by an impatient second tap.
"use strict";
(function () {
  for (const form of document.querySelectorAll("form.write")) {
    form.addEventListener("submit", function () {
      // After the submit has taken the pressed button's value (confirm=1).
      setTimeout(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  }
  const q = document.querySelector("form.find input[name=q]");
  if (!q) return;
  let list = document.querySelector("ul.found");
  if (!list) {
    list = document.createElement("ul");
    list.className = "found";
    q.form.after(list);
  }
  let timer = 0;
  let asked = 0;
  q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(async function () {
      const n = ++asked;
      try {
        const r = await fetch("/customers?q=" + encodeURIComponent(q.value), { credentials: "same-origin" });
        if (!r.ok || n !== asked) return;
        const page = new DOMParser().parseFromString(await r.text(), "text/html");
        const found = page.querySelector("ul.found");
        const items = found ? Array.from(found.children).map(function (li) { return document.importNode(li, true); }) : [];
        list.replaceChildren.apply(list, items);
      } catch (e) {
        // Offline for a moment: the Find button still works.
      }
    }, 150);
  });
})();
