//! Data movement as strided copies: concat, slice, reshape, axis moves, up- and downsampling.

use super::*;

/// A strided copy of a region ([`CopyParams`]), before its contiguous axes are merged.
struct Region {
    shape: Vec<usize>,
    in_off: usize,
    in_strides: Vec<usize>,
    out_off: usize,
    out_strides: Vec<usize>,
    divisors: Vec<usize>,
}

impl Region {
    fn params(&self) -> Lowered<CopyParams> {
        let n: usize = self.shape.iter().product();
        // Axes with a divisor (upsampling) stay as they are; the others merge where contiguous.
        let (shape, st, div) = if self.divisors.iter().all(|&d| d == 1) {
            let (shape, st) = collapse(&self.shape, &[self.in_strides.clone(), self.out_strides.clone()], None);
            let div = vec![1; shape.len()];
            (shape, st, div)
        } else {
            (self.shape.clone(), vec![self.in_strides.clone(), self.out_strides.clone()], self.divisors.clone())
        };
        Ok(CopyParams {
            count: u(n)?,
            rank: u(shape.len())?,
            in_off: u(self.in_off)?,
            out_off: u(self.out_off)?,
            shape: axes(&shape, 1)?,
            in_strides: axes(&st[0], 0)?,
            out_strides: axes(&st[1], 0)?,
            divisors: axes(&div, 1)?,
        })
    }
}

impl<'m> Lowering<'m> {
    fn copy(&mut self, node: &TypedNode, from: TensorId, to: TensorId, region: Region) -> Lowered<()> {
        let n: usize = region.shape.iter().product();
        if n == 0 {
            return Ok(());
        }
        let params = region.params()?;
        self.push(Params::Copy(params), vec![from, to], &node.name, 0);
        Ok(())
    }

    pub(super) fn concat(&mut self, node: &'m TypedNode, axis: usize) -> Lowered<()> {
        let (out, shape) = self.output(node)?;
        let out_strides = strides_of(&shape);
        let mut offset = 0;
        for slot in 0..node.inputs.len() {
            let part = self.shape(node.inputs[slot]).or_else(|e| unsupported(node, e))?;
            let t = self.input(node, slot)?;
            let region = Region {
                in_strides: strides_of(&part),
                in_off: 0,
                out_off: offset * out_strides[axis],
                out_strides: out_strides.clone(),
                divisors: vec![1; part.len()],
                shape: part.clone(),
            };
            offset += part[axis];
            self.copy(node, t, out, region)?;
        }
        Ok(())
    }

    pub(super) fn slice(&mut self, node: &'m TypedNode, axis: usize, start: usize, end: usize) -> Lowered<()> {
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let x = self.input(node, 0)?;
        let (y, shape) = self.output(node)?;
        let in_strides = strides_of(&in_shape);
        if end < start || end > in_shape[axis] {
            return unsupported(node, "a slice out of range");
        }
        let region = Region {
            in_off: start * in_strides[axis],
            in_strides,
            out_off: 0,
            out_strides: strides_of(&shape),
            divisors: vec![1; shape.len()],
            shape,
        };
        self.copy(node, x, y, region)
    }

    /// Every `stride`-th value along an axis from `modulo` (what a strided 1×1 convolution
    /// declutters into, before its product).
    pub(super) fn downsample(&mut self, node: &'m TypedNode, d: &Downsample) -> Lowered<()> {
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let Ok(stride) = usize::try_from(d.stride) else {
            return unsupported(node, "a negative stride");
        };
        let x = self.input(node, 0)?;
        let (y, shape) = self.output(node)?;
        let mut in_strides = strides_of(&in_shape);
        let in_off = d.modulo * in_strides[d.axis];
        in_strides[d.axis] *= stride;
        let region = Region {
            in_off,
            in_strides,
            out_off: 0,
            out_strides: strides_of(&shape),
            divisors: vec![1; shape.len()],
            shape,
        };
        self.copy(node, x, y, region)
    }

    pub(super) fn upsample(&mut self, node: &'m TypedNode, scales: &[usize]) -> Lowered<()> {
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let x = self.input(node, 0)?;
        let (y, shape) = self.output(node)?;
        if scales.len() != shape.len() || scales.contains(&0) {
            return unsupported(node, "scales do not match the rank");
        }
        let region = Region {
            in_strides: strides_of(&in_shape),
            in_off: 0,
            out_off: 0,
            out_strides: strides_of(&shape),
            divisors: scales.to_vec(),
            shape,
        };
        self.copy(node, x, y, region)
    }

    pub(super) fn axis_op(&mut self, node: &'m TypedNode, op: &AxisOp) -> Lowered<()> {
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let x = self.input(node, 0)?;
        let (y, shape) = self.output(node)?;
        let region = match op {
            // Row-major data is unchanged by adding, removing or regrouping axes.
            AxisOp::Add(_) | AxisOp::Rm(_) | AxisOp::Reshape(..) => {
                let n = shape.iter().product();
                Region {
                    shape: vec![n],
                    in_off: 0,
                    in_strides: vec![1],
                    out_off: 0,
                    out_strides: vec![1],
                    divisors: vec![1],
                }
            }
            AxisOp::Move(from, to) => {
                // Output axis i reads input axis perm[i].
                let mut perm: Vec<usize> = (0..in_shape.len()).collect();
                let a = perm.remove(*from);
                perm.insert(*to, a);
                let in_strides = strides_of(&in_shape);
                Region {
                    in_strides: perm.iter().map(|&p| in_strides[p]).collect(),
                    in_off: 0,
                    out_off: 0,
                    out_strides: strides_of(&shape),
                    divisors: vec![1; shape.len()],
                    shape,
                }
            }
        };
        self.copy(node, x, y, region)
    }
}
