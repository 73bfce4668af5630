// 2-D max pool over an image of a batch of one, channels first or last (through strides).
// Parameters: `MaxPoolParams` in src/program/params.rs, declared here field for field in the same
// order (a test in params.rs compares the two).
struct MaxPoolParams {
    count: u32,
    h: u32,
    w: u32,
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
    x_c: u32,
    x_h: u32,
    x_w: u32,
    y_c: u32,
    y_h: u32,
    y_w: u32,
}

@group(0) @binding(0) var<storage, read> p: MaxPoolParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn maxpool(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p.count) {
        return;
    }
    let H = p.h;
    let W = p.w;
    let OH = p.oh;
    let OW = p.ow;
    let ox = idx % OW;
    let oy = (idx / OW) % OH;
    let ch = idx / (OW * OH);
    var best = -3.402823e38;
    for (var ky = 0u; ky < p.kh; ky++) {
        let iy = i32(oy * p.stride_h + ky * p.dil_h) - i32(p.pad_h);
        if (iy < 0 || iy >= i32(H)) {
            continue;
        }
        for (var kx = 0u; kx < p.kw; kx++) {
            let ix = i32(ox * p.stride_w + kx * p.dil_w) - i32(p.pad_w);
            if (ix < 0 || ix >= i32(W)) {
                continue;
            }
            best = max(best, src[ch * p.x_c + u32(iy) * p.x_h + u32(ix) * p.x_w]);
        }
    }
    dst[ch * p.y_c + oy * p.y_h + ox * p.y_w] = best;
}
