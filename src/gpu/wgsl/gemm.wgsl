// Batched matrix product C[b, m, n] = act(Σ_k A[b, m, k] · B[b, k, n] + bias), one 64×64 tile of C
// per workgroup of 16×16 invocations (or 32 × 128 for few rows), each 4 rows × 4 columns held in
// four vec4 accumulators; K in
// steps of 16 through workgroup memory (two barriers per step). Parameters are read once into
// locals; the im2col pixel of the B values an invocation loads is fixed, so it is computed once.
// A, B and C are read and written through strides, so any einsum that groups into
// batch / m / n / k axes runs here without a transpose. With `im2col` set, B is not a matrix but
// the convolution patches of an image (an implicit GEMM: no im2col buffer is ever written).
//
// Parameters (u32, index: meaning), written by src/gpu/lower.rs `GemmParams::words`:
//  0 M, 1 N, 2 K, 3 a_b, 4 a_m, 5 a_k, 6 b_b, 7 b_k, 8 b_n, 9 c_b, 10 c_m, 11 c_n,
//  12 bias (0 none, 1 per m, 2 per n), 13 act (0 none, 1 SiLU, 2 sigmoid), 14 im2col (0/1),
//  15 C_in, 16 H, 17 W, 18 KH, 19 KW, 20 stride_h, 21 stride_w, 22 pad_h, 23 pad_w,
//  24 dil_h, 25 dil_w, 26 OW, 27..29 the image's channel / row / column strides (channels first
//  or last), 30..33 a scattered C (0 = plain strides): 30 the batch split (batch b writes at
//  (b / split) · c_b + (b % split) · p[31]), 32 the column split (column j writes at
//  (j / split) · p[33] + (j % split) · c_n). A transposed convolution whose kernel equals its
//  stride is such a product: one batch per kernel tap, its pixels interleaved in the output.
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

// The workgroup is WX × WY invocations (256 in all); its tile is TM = 4·WY rows by TN = 4·WX
// columns. 16 × 16 (a 64 × 64 tile) by default; src/gpu/exec.rs makes a 32 × 8 variant (32 × 128)
// for products with few rows (convolutions with 8 to 32 output channels) by replacing these two
// lines. Workgroup memory 16 · 16 · (WX + WY) bytes stays within WebGPU's default 16384.
const WX: u32 = 16u;
const WY: u32 = 16u;
const TM: u32 = 4u * WY;
const TN: u32 = 4u * WX;

// [k][m / 4] and [k][n / 4]: one vec4 load gives an invocation its 4 rows (or 4 columns).
var<workgroup> ta: array<array<vec4<f32>, WY>, 16>;
var<workgroup> tb: array<array<vec4<f32>, WX>, 16>;
// im2col: for the 16 k of a step (double-buffered: the next step's are written while this one
// computes), the patch tap's offset in the image and its row / column shift (the divisions
// k → channel, row, column are done here once per k, not once per loaded value).
var<workgroup> taps: array<array<vec3<i32>, 16>, 2>;

// The im2col tap of patch row `gk`: (offset, dy, dx); past K its shift fails every bounds test.
fn tap(gk: u32) -> vec3<i32> {
    if (gk >= p[2]) {
        return vec3<i32>(0, 1 << 28, 0);
    }
    let khw = p[18] * p[19];
    let ic = gk / khw;
    let r = gk % khw;
    let dy = (r / p[19]) * p[24];
    let dx = (r % p[19]) * p[25];
    return vec3<i32>(i32(ic * p[27] + dy * p[28] + dx * p[29]), i32(dy), i32(dx));
}

fn activate(v: vec4<f32>, act: u32) -> vec4<f32> {
    if (act == 1u) {
        return v / (vec4<f32>(1.0) + exp(-v));
    }
    if (act == 2u) {
        return vec4<f32>(1.0) / (vec4<f32>(1.0) + exp(-v));
    }
    return v;
}

@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let M = p[0];
    let N = p[1];
    let K = p[2];
    let a_m = p[4];
    let a_k = p[5];
    let b_k = p[7];
    let b_n = p[8];
    let im2col = p[14] == 1u;
    let H = i32(p[16]);
    let W = i32(p[17]);
    let x_h = p[28];
    let x_w = p[29];
    let batch = wg.z;
    let a_base = batch * p[3];
    let b_base = batch * p[6];
    let m0 = wg.y * TM;
    let n0 = wg.x * TN;
    let tid = lid.y * WX + lid.x;
    // The B values this invocation loads: column n0 + tid % TN (256 is a multiple of TN, so the
    // column is the same for every load of this invocation).
    let nb = tid % TN;
    let gn_load = n0 + nb;
    var iy0 = 0;
    var ix0 = 0;
    if (im2col && p[26] > 0u) {
        iy0 = i32((gn_load / p[26]) * p[20]) - i32(p[22]);
        ix0 = i32((gn_load % p[26]) * p[21]) - i32(p[23]);
    }
    // Where this invocation's patch pixel (iy0, ix0) starts in B.
    let pix = i32(b_base) + iy0 * i32(x_h) + ix0 * i32(x_w);
    if (im2col && tid < 16u) {
        taps[0][tid] = tap(tid);
    }
    workgroupBarrier();
    var step = 0u;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = 0u; k0 < K; k0 += 16u) {
        // A: TM rows × 16 k, k fastest.
        for (var e = tid; e < TM * 16u; e += 256u) {
            let mm = e / 16u;
            let kk = e % 16u;
            let gm = m0 + mm;
            let gk = k0 + kk;
            var v = 0.0;
            if (gm < M && gk < K) {
                v = a[a_base + gm * a_m + gk * a_k];
            }
            ta[kk][mm / 4u][mm % 4u] = v;
        }
        // B: 16 k × TN columns, columns fastest.
        for (var e = tid; e < 16u * TN; e += 256u) {
            let kb = e / TN;
            let gkb = k0 + kb;
            var w = 0.0;
            if (gkb < K && gn_load < N) {
                if (im2col) {
                    let t = taps[step & 1u][kb];
                    let iy = iy0 + t.y;
                    let ix = ix0 + t.z;
                    if (iy >= 0 && ix >= 0 && iy < H && ix < W) {
                        w = b[u32(pix + t.x)];
                    }
                } else {
                    w = b[b_base + gkb * b_k + gn_load * b_n];
                }
            }
            tb[kb][nb / 4u][nb % 4u] = w;
        }
        workgroupBarrier();
        if (im2col && tid < 16u) {
            taps[(step + 1u) & 1u][tid] = tap(k0 + 16u + tid);
        }
        step += 1u;
        for (var kk = 0u; kk < 16u; kk++) {
            let av = ta[kk][lid.y];
            let bv = tb[kk][lid.x];
            acc0 = fma(vec4<f32>(av.x), bv, acc0);
            acc1 = fma(vec4<f32>(av.y), bv, acc1);
            acc2 = fma(vec4<f32>(av.z), bv, acc2);
            acc3 = fma(vec4<f32>(av.w), bv, acc3);
        }
        workgroupBarrier();
    }
    var c_base = batch * p[9];
    if (p[30] > 0u) {
        c_base = (batch / p[30]) * p[9] + (batch % p[30]) * p[31];
    }
    let c_m = p[10];
    let c_n = p[11];
    let n_split = p[32];
    let c_row = p[33];
    let act = p[13];
    let gn = n0 + lid.x * 4u;
    var bias_n = vec4<f32>(0.0);
    if (p[12] == 2u) {
        for (var j = 0u; j < 4u; j++) {
            if (gn + j < N) {
                bias_n[j] = bias[gn + j];
            }
        }
    }
    for (var i = 0u; i < 4u; i++) {
        let gm = m0 + lid.y * 4u + i;
        if (gm >= M) {
            break;
        }
        var v: vec4<f32>;
        switch i {
            case 0u: { v = acc0; }
            case 1u: { v = acc1; }
            case 2u: { v = acc2; }
            default: { v = acc3; }
        }
        if (p[12] == 1u) {
            v += vec4<f32>(bias[gm]);
        }
        v = activate(v + bias_n, act);
        for (var j = 0u; j < 4u; j++) {
            let col = gn + j;
            if (col < N) {
                var off = col * c_n;
                if (n_split > 0u) {
                    off = (col / n_split) * c_row + (col % n_split) * c_n;
                }
                c[c_base + gm * c_m + off] = v[j];
            }
        }
    }
}
