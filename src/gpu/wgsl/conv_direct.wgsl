// Grouped (incl. depthwise) 2-D convolution and its transpose, one output value per invocation,
// with the bias and activation fused. Images of a batch of one, channels first or last (through
// strides); weights OIHW: [C_out, C_in / groups, KH, KW].
//
// Parameters (u32), src/gpu/lower.rs `ConvParams::words`:
//  0 total outputs, 1 C_in, 2 H, 3 W, 4 C_out, 5 OH, 6 OW, 7 KH, 8 KW, 9 stride_h, 10 stride_w,
//  11 pad_h, 12 pad_w, 13 dil_h, 14 dil_w, 15 groups, 16 has bias, 17 act, 18 transposed (0/1),
//  19..22 input channel / row / column strides, 22..25 output strides.
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p[0]) {
        return;
    }
    // Every parameter read once (storage reads inside the loops cost on software adapters).
    let H = i32(p[2]);
    let W = i32(p[3]);
    let OH = p[5];
    let OW = p[6];
    let KH = p[7];
    let KW = p[8];
    let sh = i32(p[9]);
    let sw = i32(p[10]);
    let ph = i32(p[11]);
    let pw = i32(p[12]);
    let dh = i32(p[13]);
    let dw = i32(p[14]);
    let transposed = p[18] == 1u;
    let x_c = p[19];
    let x_h = p[20];
    let x_w = p[21];
    let ox = idx % OW;
    let oy = (idx / OW) % OH;
    let oc = idx / (OW * OH);
    let icg = p[1] / p[15];
    let ocg = p[4] / p[15];
    let g = oc / ocg;
    var acc = 0.0;
    if (p[16] == 1u) {
        acc = bias[oc];
    }
    for (var i = 0u; i < icg; i++) {
        let ic = g * icg + i;
        let w_base = (oc * icg + i) * KH * KW;
        for (var ky = 0u; ky < KH; ky++) {
            var iy: i32;
            if (!transposed) {
                iy = i32(oy) * sh + i32(ky) * dh - ph;
            } else {
                let t = i32(oy) + ph - i32(ky) * dh;
                if (t < 0 || t % sh != 0) {
                    continue;
                }
                iy = t / sh;
            }
            if (iy < 0 || iy >= H) {
                continue;
            }
            let row = ic * x_c + u32(iy) * x_h;
            for (var kx = 0u; kx < KW; kx++) {
                var ix: i32;
                if (!transposed) {
                    ix = i32(ox) * sw + i32(kx) * dw - pw;
                } else {
                    let t = i32(ox) + pw - i32(kx) * dw;
                    if (t < 0 || t % sw != 0) {
                        continue;
                    }
                    ix = t / sw;
                }
                if (ix < 0 || ix >= W) {
                    continue;
                }
                acc = fma(x[row + u32(ix) * x_w], w[w_base + ky * KW + kx], acc);
            }
        }
    }
    y[oc * p[22] + oy * p[23] + ox * p[24]] = activate(acc, p[17]);
}
