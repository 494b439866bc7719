// On a phone the main menu folds behind its "Menu" button (a disclosure: the button says
// whether it is open, Escape closes it). On a wide screen the button is not shown and every
// link stays in view; without scripts the links show everywhere.
const button = document.querySelector(".menu-toggle");
const menu = document.getElementById("site-menu");

function setOpen(open) {
  button.setAttribute("aria-expanded", String(open));
  menu.classList.toggle("menu-open", open);
}

if (button && menu) {
  document.documentElement.classList.add("menu-folds");
  button.hidden = false;
  button.addEventListener("click", () => setOpen(button.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
}
