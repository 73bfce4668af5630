// Unary functions, element-wise: out = f(a). Parameters: `UnaryParams` in src/program/params.rs
// (the op codes there), declared here field for field in the same order (a test in params.rs
// compares the two).
struct UnaryParams {
    count: u32,
    op: u32,
}

@group(0) @binding(0) var<storage, read> p: UnaryParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn unary(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p.count) {
        return;
    }
    let x = a[idx];
    var v: f32;
    switch p.op {
        case 0u: { v = x / (1.0 + exp(-x)); }
        case 1u: { v = 1.0 / (1.0 + exp(-x)); }
        case 2u: { v = sin(x); }
        case 3u: { v = cos(x); }
        case 4u: { v = exp(x); }
        case 5u: { v = tanh(x); }
        case 6u: { v = -x; }
        case 7u: { v = abs(x); }
        case 8u: { v = sqrt(x); }
        case 9u: { v = 1.0 / x; }
        case 10u: { v = log(x); }
        default: { v = max(x, 0.0); }
    }
    out[idx] = v;
}
