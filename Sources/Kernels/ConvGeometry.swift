import CKernels

/// The shape arithmetic of a 2-D convolution or pooling window over NHWC data.
public struct ConvGeometry: Sendable, Equatable, Hashable {
    public var inH: Int, inW: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    /// Padding before (top/left) and after (bottom/right). TensorFlow "SAME" padding can be
    /// asymmetric, so the two sides are separate.
    public var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    public var dilationH: Int, dilationW: Int

    public init(inH: Int, inW: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (top: Int, left: Int, bottom: Int, right: Int) = (0, 0, 0, 0), dilation: (Int, Int) = (1, 1)) {
        precondition(kernel.0 >= 1 && kernel.1 >= 1 && stride.0 >= 1 && stride.1 >= 1 && dilation.0 >= 1 && dilation.1 >= 1)
        self.inH = inH; self.inW = inW
        kernelH = kernel.0; kernelW = kernel.1
        strideH = stride.0; strideW = stride.1
        padTop = padding.top; padLeft = padding.left; padBottom = padding.bottom; padRight = padding.right
        dilationH = dilation.0; dilationW = dilation.1
    }

    public var outH: Int { (inH + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    public var outW: Int { (inW + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1 }
}

extension vigil_window {
    /// The window description CKernels takes, for `channels` channels over geometry `g`.
    init(_ g: ConvGeometry, channels: Int) {
        self.init(in_h: Int32(g.inH), in_w: Int32(g.inW), channels: Int32(channels), out_h: Int32(g.outH), out_w: Int32(g.outW),
                  kernel_h: Int32(g.kernelH), kernel_w: Int32(g.kernelW), stride_h: Int32(g.strideH), stride_w: Int32(g.strideW),
                  pad_top: Int32(g.padTop), pad_left: Int32(g.padLeft), dilation_h: Int32(g.dilationH), dilation_w: Int32(g.dilationW))
    }
}
