//! Convolutions (dense as implicit GEMM, grouped / depthwise / transposed direct), max pool.

use super::*;

/// Stride, padding (before), dilation and groups of a direct convolution, and whether it is
/// transposed.
struct Direct {
    stride: [usize; 2],
    pad: [usize; 2],
    dil: [usize; 2],
    group: usize,
    transposed: bool,
}

/// A 2-D image tensor (batch of one): where its channels are and how to step through it.
struct Image {
    c_axis: usize,
    c: usize,
    hw: [usize; 2],
    /// Strides of a channel, a row and a column.
    strides: [usize; 3],
}

impl<'m> Lowering<'m> {
    /// Spatial geometry shared by convolution and pooling: the input's and output's channel
    /// axis, sizes and strides (channels first or last).
    fn geometry(
        &self,
        node: &TypedNode,
        spec: &PoolSpec,
        input: &[usize],
        output: &[usize],
    ) -> Lowered<(Image, Image)> {
        let (c_axis, h_axis) = match spec.data_format {
            DataFormat::NCHW => (1, 2),
            DataFormat::CHW => (0, 1),
            DataFormat::NHWC => (3, 1),
            DataFormat::HWC => (2, 0),
        };
        if input.len() != output.len()
            || input.len() != spec.data_format.has_n() as usize + 3
            || spec.kernel_shape.len() != 2
        {
            return unsupported(node, "only 2-D images");
        }
        if spec.data_format.has_n() && input[0] != 1 {
            return unsupported(node, "a batch larger than one");
        }
        let image = |shape: &[usize]| {
            let st = strides_of(shape);
            Image {
                c_axis,
                c: shape[c_axis],
                hw: [shape[h_axis], shape[h_axis + 1]],
                strides: [st[c_axis], st[h_axis], st[h_axis + 1]],
            }
        };
        Ok((image(input), image(output)))
    }

    pub(super) fn conv(&mut self, node: &'m TypedNode, conv: &Conv) -> Lowered<()> {
        if conv.q_params.is_some() {
            return unsupported(node, "a quantized convolution");
        }
        if conv.kernel_fmt != KernelFormat::OIHW {
            return unsupported(node, format!("kernel format {:?} (only OIHW)", conv.kernel_fmt));
        }
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let out_shape = self.shape(OutletId::new(node.id, 0)).or_else(|e| unsupported(node, e))?;
        let spec = &conv.pool_spec;
        let (src, dst) = self.geometry(node, spec, &in_shape, &out_shape)?;
        let ([h, w], [oh, ow], c_axis) = (src.hw, dst.hw, dst.c_axis);
        let pads = spec.computed_padding(&[h, w]);
        let (cin, cout) = (src.c, dst.c);
        let (kh, kw) = (spec.kernel_shape[0], spec.kernel_shape[1]);
        let x = self.input(node, 0)?;
        let wt = self.input(node, 1)?;
        if self.tensors[wt].len != cout * (cin / conv.group.max(1)) * kh * kw {
            return unsupported(node, "the kernel's size does not match its geometry");
        }
        let bias = self.own_bias(node, cout)?;
        let (bias, act, last, label) = self.epilogue(node, bias, &[(c_axis, cout)]);
        let bias = bias.map(|b| b.0);
        let (y, _) = self.output(node)?;
        self.bind_output(last, y);
        let bias_t = bias.unwrap_or_else(|| self.dummy());
        let (sh, sw) = (spec.stride(0), spec.stride(1));
        let (dh, dw) = (spec.dilation(0), spec.dilation(1));
        let (ph, pw) = (pads[0].pad_before, pads[1].pad_before);
        let k_len = (cin / conv.group) * kh * kw;
        let macs = (cout * oh * ow * k_len) as u64;
        if conv.group == 1 {
            let p = GemmParams {
                m: u(cout)?,
                n: u(oh * ow)?,
                k: u(k_len)?,
                a_m: u(k_len)?,
                a_k: 1,
                c_m: u(dst.strides[0])?,
                c_n: u(dst.strides[2])?,
                bias_mode: if bias.is_some() { GemmParams::BIAS_PER_ROW } else { GemmParams::BIAS_NONE },
                act: act as u32,
                im2col: 1,
                c_in: u(cin)?,
                h: u(h)?,
                w: u(w)?,
                kh: u(kh)?,
                kw: u(kw)?,
                stride_h: u(sh)?,
                stride_w: u(sw)?,
                pad_h: u(ph)?,
                pad_w: u(pw)?,
                dil_h: u(dh)?,
                dil_w: u(dw)?,
                ow: u(ow)?,
                x_c: u(src.strides[0])?,
                x_h: u(src.strides[1])?,
                x_w: u(src.strides[2])?,
                ..GemmParams::default()
            };
            self.push_gemm(p, 1, vec![wt, x, bias_t, y], &label, macs)?;
        } else {
            let direct =
                Direct { stride: [sh, sw], pad: [ph, pw], dil: [dh, dw], group: conv.group, transposed: false };
            self.push_direct(&src, &dst, [kh, kw], &direct, bias.is_some(), act, vec![x, wt, bias_t, y], &label, macs)?;
        }
        Ok(())
    }

    pub(super) fn deconv(&mut self, node: &'m TypedNode, d: &Deconv) -> Lowered<()> {
        if d.kernel_format != KernelFormat::OIHW {
            return unsupported(node, format!("kernel format {:?} (only OIHW)", d.kernel_format));
        }
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let out_shape = self.shape(OutletId::new(node.id, 0)).or_else(|e| unsupported(node, e))?;
        let spec = &d.pool_spec;
        let (src, dst) = self.geometry(node, spec, &in_shape, &out_shape)?;
        let ([h, w], c_axis) = (src.hw, dst.c_axis);
        let (ph, pw) = match &spec.padding {
            PaddingSpec::Valid => (0, 0),
            PaddingSpec::Explicit(before, _) if before.len() == 2 => (before[0], before[1]),
            p => return unsupported(node, format!("padding {p:?} (only explicit)")),
        };
        let (cin, cout) = (src.c, dst.c);
        let (kh, kw) = (spec.kernel_shape[0], spec.kernel_shape[1]);
        let x = self.input(node, 0)?;
        let wt = self.input(node, 1)?;
        if self.tensors[wt].len != cout * (cin / d.group.max(1)) * kh * kw {
            return unsupported(node, "the kernel's size does not match its geometry");
        }
        let bias = self.own_bias(node, cout)?;
        let (bias, act, last, label) = self.epilogue(node, bias, &[(c_axis, cout)]);
        let bias = bias.map(|b| b.0);
        let (y, _) = self.output(node)?;
        self.bind_output(last, y);
        let bias_t = bias.unwrap_or_else(|| self.dummy());
        let macs = (cin * h * w * (cout / d.group) * kh * kw) as u64;
        let (sh, sw) = (spec.stride(0), spec.stride(1));
        let tiles = [kh, kw] == [sh, sw] && [ph, pw] == [0, 0] && [spec.dilation(0), spec.dilation(1)] == [1, 1];
        if tiles && d.group == 1 && dst.hw == [h * sh, w * sw] && src.strides[1] == w * src.strides[2] {
            // Each input pixel paints its own kh × kw tile of the output: one matrix product per
            // kernel tap (ky, kx), C[co, (y, x)] = Σ_ci W[co, ci, ky, kx] · X[ci, (y, x)], written
            // to output pixel (sh·y + ky, sw·x + kx) through the Gemm's scattered-C strides.
            // No im2col; the scattered C: taps split by kw, pixels by w.
            let p = GemmParams {
                m: u(cout)?,
                n: u(h * w)?,
                k: u(cin)?,
                a_batch: 1,
                a_m: u(cin * kh * kw)?,
                a_k: u(kh * kw)?,
                b_k: u(src.strides[0])?,
                b_n: u(src.strides[2])?,
                c_batch: u(dst.strides[1])?,
                c_m: u(dst.strides[0])?,
                c_n: u(sw * dst.strides[2])?,
                bias_mode: if bias.is_some() { GemmParams::BIAS_PER_ROW } else { GemmParams::BIAS_NONE },
                act: act as u32,
                batch_split: u(kw)?,
                c_batch_inner: u(dst.strides[2])?,
                col_split: u(w)?,
                c_col_outer: u(sh * dst.strides[1])?,
                ..GemmParams::default()
            };
            return self.push_gemm(p, kh * kw, vec![wt, x, bias_t, y], &label, macs);
        }
        let direct = Direct {
            stride: [sh, sw],
            pad: [ph, pw],
            dil: [spec.dilation(0), spec.dilation(1)],
            group: d.group,
            transposed: true,
        };
        self.push_direct(&src, &dst, [kh, kw], &direct, bias.is_some(), act, vec![x, wt, bias_t, y], &label, macs)?;
        Ok(())
    }

    /// A convolution's own bias input: a per-channel constant, or none (absent, or the scalar
    /// zero tract puts there).
    fn own_bias(&mut self, node: &TypedNode, cout: usize) -> Lowered<Option<TensorId>> {
        match node.inputs.get(2).and_then(|&i| self.konst(i)) {
            Some(k) if k.len() == cout => Ok(Some(self.input(node, 2)?)),
            Some(k) if k.len() == 1 && k.cast_to_scalar::<f32>().ok() == Some(0.0) => Ok(None),
            None if node.inputs.len() <= 2 => Ok(None),
            _ => unsupported(node, "a bias that is not a per-channel constant"),
        }
    }

    /// The `conv_direct.wgsl` step of a grouped or transposed convolution; `tensors` are the
    /// image, the weights, the bias and the output.
    #[allow(clippy::too_many_arguments)]
    fn push_direct(
        &mut self,
        src: &Image,
        dst: &Image,
        [kh, kw]: [usize; 2],
        d: &Direct,
        bias: bool,
        act: Act,
        tensors: Vec<TensorId>,
        label: &str,
        macs: u64,
    ) -> Lowered<()> {
        let total = dst.c * dst.hw[0] * dst.hw[1];
        let p = ConvDirectParams {
            count: u(total)?,
            c_in: u(src.c)?,
            h: u(src.hw[0])?,
            w: u(src.hw[1])?,
            c_out: u(dst.c)?,
            oh: u(dst.hw[0])?,
            ow: u(dst.hw[1])?,
            kh: u(kh)?,
            kw: u(kw)?,
            stride_h: u(d.stride[0])?,
            stride_w: u(d.stride[1])?,
            pad_h: u(d.pad[0])?,
            pad_w: u(d.pad[1])?,
            dil_h: u(d.dil[0])?,
            dil_w: u(d.dil[1])?,
            groups: u(d.group)?,
            has_bias: u32::from(bias),
            act: act as u32,
            transposed: u32::from(d.transposed),
            x_c: u(src.strides[0])?,
            x_h: u(src.strides[1])?,
            x_w: u(src.strides[2])?,
            y_c: u(dst.strides[0])?,
            y_h: u(dst.strides[1])?,
            y_w: u(dst.strides[2])?,
        };
        self.push(Params::ConvDirect(p), tensors, label, macs);
        Ok(())
    }

    pub(super) fn maxpool(&mut self, node: &'m TypedNode, spec: &PoolSpec) -> Lowered<()> {
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let out_shape = self.shape(OutletId::new(node.id, 0)).or_else(|e| unsupported(node, e))?;
        let (src, dst) = self.geometry(node, spec, &in_shape, &out_shape)?;
        let ([h, w], [oh, ow]) = (src.hw, dst.hw);
        let pads = spec.computed_padding(&[h, w]);
        let x = self.input(node, 0)?;
        let (y, _) = self.output(node)?;
        let total = dst.c * oh * ow;
        let p = MaxPoolParams {
            count: u(total)?,
            h: u(h)?,
            w: u(w)?,
            oh: u(oh)?,
            ow: u(ow)?,
            kh: u(spec.kernel_shape[0])?,
            kw: u(spec.kernel_shape[1])?,
            stride_h: u(spec.stride(0))?,
            stride_w: u(spec.stride(1))?,
            pad_h: u(pads[0].pad_before)?,
            pad_w: u(pads[1].pad_before)?,
            dil_h: u(spec.dilation(0))?,
            dil_w: u(spec.dilation(1))?,
            x_c: u(src.strides[0])?,
            x_h: u(src.strides[1])?,
            x_w: u(src.strides[2])?,
            y_c: u(dst.strides[0])?,
            y_h: u(dst.strides[1])?,
            y_w: u(dst.strides[2])?,
        };
        self.push(Params::MaxPool(p), vec![x, y], &node.name, 0);
        Ok(())
    }
}
