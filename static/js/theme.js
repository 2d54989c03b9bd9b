// Before the first paint (loaded without defer): the theme the user chose last time.
document.documentElement.dataset.theme = localStorage.getItem("theme") || "auto";
