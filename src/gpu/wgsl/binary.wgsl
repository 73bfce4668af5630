// Broadcasting binary arithmetic over contiguous row-major tensors of rank ≤ 6:
// out = a ∘ b with numpy broadcasting through per-axis strides (0 on a broadcast axis).
// Parameters: `BinaryParams` in src/program/params.rs, declared here field for field in the same
// order (a test in params.rs compares the two).
struct BinaryParams {
    count: u32,
    rank: u32,
    op: u32,
    shape: array<u32, 6>,
    a_strides: array<u32, 6>,
    b_strides: array<u32, 6>,
}

@group(0) @binding(0) var<storage, read> p: BinaryParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn binary(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p.count) {
        return;
    }
    var rest = idx;
    var ia = 0u;
    var ib = 0u;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
        let size = p.shape[d];
        let coord = rest % size;
        rest = rest / size;
        ia += coord * p.a_strides[d];
        ib += coord * p.b_strides[d];
    }
    let x = a[ia];
    let y = b[ib];
    var v: f32;
    switch p.op {
        case 0u: { v = x + y; }
        case 1u: { v = x - y; }
        case 2u: { v = x * y; }
        case 3u: { v = x / y; }
        case 4u: { v = pow(x, y); }
        case 5u: { v = max(x, y); }
        default: { v = min(x, y); }
    }
    out[idx] = v;
}
