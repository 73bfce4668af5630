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
    let H = p[2];
    let W = p[3];
    let OH = p[5];
    let OW = p[6];
    let KH = p[7];
    let KW = p[8];
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
        for (var ky = 0u; ky < KH; ky++) {
            var iy: i32;
            if (p[18] == 0u) {
                iy = i32(oy * p[9] + ky * p[13]) - i32(p[11]);
            } else {
                let t = i32(oy) + i32(p[11]) - i32(ky * p[13]);
                if (t < 0 || t % i32(p[9]) != 0) {
                    continue;
                }
                iy = t / i32(p[9]);
            }
            if (iy < 0 || iy >= i32(H)) {
                continue;
            }
            for (var kx = 0u; kx < KW; kx++) {
                var ix: i32;
                if (p[18] == 0u) {
                    ix = i32(ox * p[10] + kx * p[14]) - i32(p[12]);
                } else {
                    let t = i32(ox) + i32(p[12]) - i32(kx * p[14]);
                    if (t < 0 || t % i32(p[10]) != 0) {
                        continue;
                    }
                    ix = t / i32(p[10]);
                }
                if (ix < 0 || ix >= i32(W)) {
                    continue;
                }
                acc = fma(x[ic * p[19] + u32(iy) * p[20] + u32(ix) * p[21]], w[((oc * icg + i) * KH + ky) * KW + kx], acc);
            }
        }
    }
    y[oc * p[22] + oy * p[23] + ox * p[24]] = activate(acc, p[17]);
}
