// Stylesheets imported by the page's script are bundled by esbuild into app.css.
declare module '*.css';
