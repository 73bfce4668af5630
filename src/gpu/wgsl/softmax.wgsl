// Softmax over the middle axis of a contiguous [outer, len, inner]; one lane per invocation.
// Parameters: `SoftmaxParams` in src/program/params.rs, declared here field for field in the same
// order (a test in params.rs compares the two).
struct SoftmaxParams {
    lanes: u32,
    len: u32,
    inner: u32,
}

@group(0) @binding(0) var<storage, read> p: SoftmaxParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn softmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p.lanes) {
        return;
    }
    let len = p.len;
    let inner = p.inner;
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
