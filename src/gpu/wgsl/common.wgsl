// Shared by the one-value-per-invocation kernels: a flat index from a 2-D grid of 256-wide
// workgroups (`grid` in src/gpu/kernel.rs), so tensors over 65 535 × 256 values still fit.
fn flat_index(wg: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wg.y * nwg.x + wg.x) * 256u + lid.x;
}

fn activate(v: f32, act: u32) -> f32 {
    if (act == 1u) {
        return v / (1.0 + exp(-v));
    }
    if (act == 2u) {
        return 1.0 / (1.0 + exp(-v));
    }
    return v;
}
