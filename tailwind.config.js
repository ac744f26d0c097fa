// Tailwind reads this file through the @config line in static/css/input.css.
// Only the files listed in content are scanned for class names, so write
// every class in full in the templates; never build one by concatenation. The
// handlers' tests are Go files there too: a string in them that names a utility adds
// it to the stylesheet (and make lint then finds app.css out of date).
/** @type {import('tailwindcss').Config} */
module.exports = {
  content: [
    "./components/**/*.templ",
    "./components/**/*.go",
    "./handlers/**/*.go",
  ],
  theme: {
    extend: {
      colors: {
        brand: {
          50: "#eef6ff",
          100: "#d9eaff",
          500: "#2f6fdb",
          600: "#2358b8",
          700: "#1d4794",
        },
      },
      fontFamily: {
        sans: [
          "Inter",
          "ui-sans-serif",
          "system-ui",
          "sans-serif",
        ],
      },
    },
  },
};
