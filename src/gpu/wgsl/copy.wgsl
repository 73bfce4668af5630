// A strided copy of a region of rank ≤ 6 over contiguous row-major tensors (slice, concat part,
// transpose, reshape, nearest upsample by integer factors, downsample). For each coordinate of
// the region: out[out_off + Σ coord·out_stride] = in[in_off + Σ (coord / div)·in_stride].
// Parameters: `CopyParams` in src/program/params.rs, declared here field for field in the same
// order (a test in params.rs compares the two).
struct CopyParams {
    count: u32,
    rank: u32,
    in_off: u32,
    out_off: u32,
    shape: array<u32, 6>,
    in_strides: array<u32, 6>,
    out_strides: array<u32, 6>,
    divisors: array<u32, 6>,
}

@group(0) @binding(0) var<storage, read> p: CopyParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn copy(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let idx = flat_index(wg, nwg, lid);
    if (idx >= p.count) {
        return;
    }
    var rest = idx;
    var i = p.in_off;
    var o = p.out_off;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
        let k = u32(d);
        let size = p.shape[k];
        let coord = rest % size;
        rest = rest / size;
        i += (coord / p.divisors[k]) * p.in_strides[k];
        o += coord * p.out_strides[k];
    }
    dst[o] = src[i];
}
