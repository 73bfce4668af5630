// Batched matrix product C[b, m, n] = act(Σ_k A[b, m, k] · B[b, k, n] + bias), one 64×64 tile of C
// per workgroup of 16×16 invocations (4×4 values each), K in steps of 16 through workgroup memory.
// A, B and C are read and written through strides, so any einsum that groups into
// batch / m / n / k axes runs here without a transpose. With `im2col` set, B is not a matrix but
// the convolution patches of an image (an implicit GEMM: no im2col buffer is ever written).
//
// Parameters (u32, index: meaning), written by src/gpu/lower.rs `GemmParams::words`:
//  0 M, 1 N, 2 K, 3 a_b, 4 a_m, 5 a_k, 6 b_b, 7 b_k, 8 b_n, 9 c_b, 10 c_m, 11 c_n,
//  12 bias (0 none, 1 per m, 2 per n), 13 act (0 none, 1 SiLU, 2 sigmoid), 14 im2col (0/1),
//  15 C_in, 16 H, 17 W, 18 KH, 19 KW, 20 stride_h, 21 stride_w, 22 pad_h, 23 pad_w,
//  24 dil_h, 25 dil_w, 26 OW, 27..30 the image's channel / row / column strides (channels first
//  or last).
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

var<workgroup> ta: array<array<f32, 64>, 16>;
var<workgroup> tb: array<array<f32, 64>, 16>;

fn load_b(batch: u32, k: u32, n: u32) -> f32 {
    if (p[14] == 0u) {
        return b[batch * p[6] + k * p[7] + n * p[8]];
    }
    let khw = p[18] * p[19];
    let ic = k / khw;
    let ky = (k / p[19]) % p[18];
    let kx = k % p[19];
    let oy = n / p[26];
    let ox = n % p[26];
    let iy = i32(oy * p[20] + ky * p[24]) - i32(p[22]);
    let ix = i32(ox * p[21] + kx * p[25]) - i32(p[23]);
    if (iy < 0 || ix < 0 || iy >= i32(p[16]) || ix >= i32(p[17])) {
        return 0.0;
    }
    return b[batch * p[6] + ic * p[27] + u32(iy) * p[28] + u32(ix) * p[29]];
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

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let M = p[0];
    let N = p[1];
    let K = p[2];
    let batch = wg.z;
    let m0 = wg.y * 64u;
    let n0 = wg.x * 64u;
    let tid = lid.y * 16u + lid.x;
    var acc: array<f32, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = 0.0;
    }
    for (var k0 = 0u; k0 < K; k0 += 16u) {
        for (var i = 0u; i < 4u; i++) {
            let e = tid + i * 256u;
            let mm = e / 16u;
            let kk = e % 16u;
            let gm = m0 + mm;
            let gk = k0 + kk;
            var v = 0.0;
            if (gm < M && gk < K) {
                v = a[batch * p[3] + gm * p[4] + gk * p[5]];
            }
            ta[kk][mm] = v;
            let kb = e / 64u;
            let nb = e % 64u;
            let gkb = k0 + kb;
            let gn = n0 + nb;
            var w = 0.0;
            if (gkb < K && gn < N) {
                w = load_b(batch, gkb, gn);
            }
            tb[kb][nb] = w;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < 16u; kk++) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                av[i] = ta[kk][lid.y + 16u * i];
                bv[i] = tb[kk][lid.x + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] = fma(av[i], bv[j], acc[i * 4u + j]);
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let gm = m0 + lid.y + 16u * i;
        if (gm >= M) {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let gn = n0 + lid.x + 16u * j;
            if (gn >= N) {
                continue;
            }
            var v = acc[i * 4u + j];
            if (p[12] == 1u) {
                v += bias[gm];
            } else if (p[12] == 2u) {
                v += bias[gn];
            }
            c[batch * p[9] + gm * p[10] + gn * p[11]] = activate(v, p[13]);
        }
    }
}
