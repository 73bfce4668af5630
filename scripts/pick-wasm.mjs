// Makes pkg/'s default init() pick the WebAssembly build the engine can run (scripts/build-pkg.sh):
// yolo_wasm_relaxed_bg.wasm where relaxed SIMD validates, else yolo_wasm_bg.wasm. Patches the one
// line of wasm-bindgen's glue that names the default file, adds `relaxedSimdSupported()` to the
// glue and its .d.ts. Fails loudly if the glue does not have the expected shape.
//   node scripts/pick-wasm.mjs <pkg dir>
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? "pkg";
const js = join(dir, "yolo_wasm.js");
const dts = join(dir, "yolo_wasm.d.ts");
const DEFAULT = "module_or_path = new URL('yolo_wasm_bg.wasm', import.meta.url);";

let glue = readFileSync(js, "utf8");
if (glue.split(DEFAULT).length !== 2) {
  console.error(`pick-wasm: expected exactly one \`${DEFAULT}\` in ${js} (wasm-bindgen's glue changed?)`);
  process.exit(1);
}
glue = glue.replace(
  DEFAULT,
  // Two literal `new URL(…, import.meta.url)` expressions, so bundlers see and copy both files.
  "module_or_path = relaxedSimdSupported() ? new URL('yolo_wasm_relaxed_bg.wasm', import.meta.url) : new URL('yolo_wasm_bg.wasm', import.meta.url);",
);
glue += `
// Added by scripts/pick-wasm.mjs: which build the default init() loads.
let relaxedSimd;
/**
 * Whether this engine runs WebAssembly relaxed SIMD (then the default \`init()\` loads
 * \`yolo_wasm_relaxed_bg.wasm\`, whose matrix kernel uses fused multiply-adds; otherwise
 * \`yolo_wasm_bg.wasm\`, SIMD128 only). Decided once, by validating a 82-byte probe module that
 * uses \`f32x4.relaxed_madd\`.
 * @returns {boolean}
 */
export function relaxedSimdSupported() {
  if (relaxedSimd === undefined) {
    const v128 = [0xfd, 0x0c, ...new Array(16).fill(0)];
    const probe = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
      0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
      0x03, 0x02, 0x01, 0x00, // one function of that type
      0x0a, 0x3d, 0x01, 0x3b, 0x00, ...v128, ...v128, ...v128, 0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd
    ]);
    try {
      relaxedSimd = typeof WebAssembly === "object" && WebAssembly.validate(probe);
    } catch {
      relaxedSimd = false;
    }
  }
  return relaxedSimd;
}
`;
writeFileSync(js, glue);

let types = readFileSync(dts, "utf8");
const MARK = "export type InitInput";
if (types.split(MARK).length !== 2) {
  console.error(`pick-wasm: expected one \`${MARK}\` in ${dts}`);
  process.exit(1);
}
types = types.replace(
  MARK,
  `/**
 * Whether this engine runs WebAssembly relaxed SIMD: the default \`init()\` then loads
 * \`yolo_wasm_relaxed_bg.wasm\` (fused multiply-adds in the matrix kernel, ~12 % faster inference),
 * else \`yolo_wasm_bg.wasm\` (SIMD128 only). Results of the two agree to float rounding.
 */
export function relaxedSimdSupported(): boolean;

${MARK}`,
);
writeFileSync(dts, types);
