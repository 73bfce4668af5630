// What an app needs to use yolo-wasm with webpack 5 (npm/README.md "Bundlers"): nothing
// package-specific. webpack finds the package's workers (`new Worker(new URL("./….js",
// import.meta.url), { type: "module" })`) and its .wasm files (`new URL("….wasm",
// import.meta.url)`) by itself and emits them as chunks and assets into dist/.
export default {
  entry: "./src/main.js",
  performance: { assetFilter: (file) => !file.endsWith(".wasm") }, // the wasm builds are 14–19 MiB
};
