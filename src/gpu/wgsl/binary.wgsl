// Broadcasting binary arithmetic over contiguous row-major tensors of rank ≤ 6:
// out = a ∘ b with numpy broadcasting through per-axis strides (0 on a broadcast
// axis). Parameters: 0 n, 1 rank, 2 op (0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 max, 6 min),
// 3..9 out shape, 9..15 a strides, 15..21 b strides (src/gpu/lower.rs `binary_params`).
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn binary(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p[0]) {
        return;
    }
    var rest = idx;
    var ia = 0u;
    var ib = 0u;
    for (var d = i32(p[1]) - 1; d >= 0; d--) {
        let size = p[3u + u32(d)];
        let coord = rest % size;
        rest = rest / size;
        ia += coord * p[9u + u32(d)];
        ib += coord * p[15u + u32(d)];
    }
    let x = a[ia];
    let y = b[ib];
    var v: f32;
    switch p[2] {
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
