// Data movement and reductions over contiguous row-major tensors.
//
// `copy`: a strided copy of a region of rank ≤ 6 (slice, concat part, transpose, reshape,
// nearest upsample by integer factors). For each coordinate of the region:
// out[out_off + Σ coord·out_stride] = in[in_off + Σ (coord / div)·in_stride].
// Parameters: 0 n, 1 rank, 2 in_off, 3 out_off, 4..10 region shape, 10..16 in strides,
// 16..22 out strides, 22..28 divisors (src/gpu/lower.rs `CopyParams::words`).
//
// `softmax`: over the middle axis of [outer, axis, inner]; one lane per invocation.
// Parameters: 0 outer·inner, 1 axis, 2 inner.
//
// `reduce`: over the middle axis of [outer, axis, inner]. Parameters: 0 outer·inner, 1 axis,
// 2 inner, 3 op (0 sum, 1 mean, 2 max, 3 min, 4 product).
//
// `maxpool`: 2-D max pool over an image of a batch of one, channels first or last. Parameters:
// 0 total outputs, 1 H, 2 W, 3 OH, 4 OW, 5 KH, 6 KW, 7 stride_h, 8 stride_w, 9 pad_h, 10 pad_w,
// 11 dil_h, 12 dil_w, 13..16 input channel / row / column strides, 16..19 output strides.
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn copy(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p[0]) {
        return;
    }
    var rest = idx;
    var i = p[2];
    var o = p[3];
    for (var d = i32(p[1]) - 1; d >= 0; d--) {
        let k = u32(d);
        let size = p[4u + k];
        let coord = rest % size;
        rest = rest / size;
        i += (coord / p[22u + k]) * p[10u + k];
        o += coord * p[16u + k];
    }
    dst[o] = src[i];
}

@compute @workgroup_size(256)
fn softmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p[0]) {
        return;
    }
    let len = p[1];
    let inner = p[2];
    let base = (idx / inner) * len * inner + idx % inner;
    var hi = src[base];
    for (var j = 1u; j < len; j++) {
        hi = max(hi, src[base + j * inner]);
    }
    var sum = 0.0;
    for (var j = 0u; j < len; j++) {
        let e = exp(src[base + j * inner] - hi);
        dst[base + j * inner] = e;
        sum += e;
    }
    for (var j = 0u; j < len; j++) {
        dst[base + j * inner] = dst[base + j * inner] / sum;
    }
}

@compute @workgroup_size(256)
fn reduce(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p[0]) {
        return;
    }
    let len = p[1];
    let inner = p[2];
    let base = (idx / inner) * len * inner + idx % inner;
    let op = p[3];
    var acc = src[base];
    for (var j = 1u; j < len; j++) {
        let v = src[base + j * inner];
        switch op {
            case 2u: { acc = max(acc, v); }
            case 3u: { acc = min(acc, v); }
            case 4u: { acc = acc * v; }
            default: { acc = acc + v; }
        }
    }
    if (op == 1u) {
        acc = acc / f32(len);
    }
    dst[idx] = acc;
}

@compute @workgroup_size(256)
fn maxpool(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p[0]) {
        return;
    }
    let H = p[1];
    let W = p[2];
    let OH = p[3];
    let OW = p[4];
    let ox = idx % OW;
    let oy = (idx / OW) % OH;
    let ch = idx / (OW * OH);
    var best = -3.402823e38;
    for (var ky = 0u; ky < p[5]; ky++) {
        let iy = i32(oy * p[7] + ky * p[11]) - i32(p[9]);
        if (iy < 0 || iy >= i32(H)) {
            continue;
        }
        for (var kx = 0u; kx < p[6]; kx++) {
            let ix = i32(ox * p[8] + kx * p[12]) - i32(p[10]);
            if (ix < 0 || ix >= i32(W)) {
                continue;
            }
            best = max(best, src[ch * p[13] + u32(iy) * p[14] + u32(ix) * p[15]]);
        }
    }
    dst[ch * p[16] + oy * p[17] + ox * p[18]] = best;
}
