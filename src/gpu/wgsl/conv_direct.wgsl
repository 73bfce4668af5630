// Grouped (incl. depthwise) 2-D convolution and its transpose, one output value per invocation,
// with the bias and activation fused. Images of a batch of one, channels first or last (through
// strides); weights OIHW: [C_out, C_in / groups, KH, KW].
//
// Parameters: `ConvDirectParams` in src/program/params.rs, declared here field for field in the
// same order (a test in params.rs compares the two).
struct ConvDirectParams {
    count: u32,
    c_in: u32,
    h: u32,
    w: u32,
    c_out: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    stride_h: u32,
    stride_w: u32,
    pad_h: u32,
    pad_w: u32,
    dil_h: u32,
    dil_w: u32,
    groups: u32,
    has_bias: u32,
    act: u32,
    transposed: u32,
    x_c: u32,
    x_h: u32,
    x_w: u32,
    y_c: u32,
    y_h: u32,
    y_w: u32,
}

@group(0) @binding(0) var<storage, read> p: ConvDirectParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p.count) {
        return;
    }
    // Every parameter read once (storage reads inside the loops cost on software adapters).
    let H = i32(p.h);
    let W = i32(p.w);
    let OH = p.oh;
    let OW = p.ow;
    let KH = p.kh;
    let KW = p.kw;
    let sh = i32(p.stride_h);
    let sw = i32(p.stride_w);
    let ph = i32(p.pad_h);
    let pw = i32(p.pad_w);
    let dh = i32(p.dil_h);
    let dw = i32(p.dil_w);
    let transposed = p.transposed == 1u;
    let x_c = p.x_c;
    let x_h = p.x_h;
    let x_w = p.x_w;
    let ox = idx % OW;
    let oy = (idx / OW) % OH;
    let oc = idx / (OW * OH);
    let icg = p.c_in / p.groups;
    let ocg = p.c_out / p.groups;
    let g = oc / ocg;
    var acc = 0.0;
    if (p.has_bias == 1u) {
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
    y[oc * p.y_c + oy * p.y_h + ox * p.y_w] = activate(acc, p.act);
}
