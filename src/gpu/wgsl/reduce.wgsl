// A reduction (sum, mean, max, min, product) over the middle axis of a contiguous
// [outer, len, inner]; one output per invocation.
// Parameters: `ReduceParams` in src/program/params.rs, declared here field for field in the same
// order (a test in params.rs compares the two).
struct ReduceParams {
    lanes: u32,
    len: u32,
    inner: u32,
    op: u32,
}

@group(0) @binding(0) var<storage, read> p: ReduceParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn reduce(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p.lanes) {
        return;
    }
    let len = p.len;
    let inner = p.inner;
    let base = (idx / inner) * len * inner + idx % inner;
    let op = p.op;
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
