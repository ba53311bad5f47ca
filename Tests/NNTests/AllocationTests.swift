import MallocCounter
import NN
import XCTest

/// A training step allocates nothing once its buffers are sized for the batch shape
/// (DESIGN.md, "Performance"): after warm-up steps, N more whole steps (zeroGrad, forward in
/// training mode, loss and its gradient, backward, optimizer step) make no heap allocations,
/// though they hand work to the worker threads (`Parallel`), which the test checks happened.
/// Counted by the MallocCounter target (malloc & co. interposed in the test binary, every
/// thread included). OpenBLAS's own allocations (its small-matrix sgemm kernels malloc a
/// packing buffer on every call on some CPUs) are counted apart, by the address of malloc's
/// caller, and printed.
final class AllocationTests: XCTestCase {
    private func mlp() throws -> Sequential {
        try Sequential(
            [
                Flatten(), Dense(inFeatures: 784, outFeatures: 256), ReLU(), Dropout(p: 0.2, rng: SplitMix64(seed: 1)),
                Dense(inFeatures: 256, outFeatures: 10),
            ],
            inputShape: [1, 28, 28])
    }

    private func cnn() throws -> Sequential {
        try Sequential(
            [
                Conv2d(inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 8), ReLU(),
                MaxPool2d(kernelSize: 2), Conv2d(inChannels: 8, outChannels: 16, kernelSize: 3, padding: 1), ReLU(),
                AvgPool2d(kernelSize: 2), Flatten(), Dropout(p: 0.3, rng: SplitMix64(seed: 2)),
                Dense(inFeatures: 16 * 49, outFeatures: 32), ReLU(), Dense(inFeatures: 32, outFeatures: 10),
            ],
            inputShape: [1, 28, 28])
    }

    /// A ResNet-8-style network: stem, identity block, two projection blocks (stride 2).
    private func resnet() throws -> Sequential {
        try Sequential(
            [
                Conv2d(inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, bias: false),
                BatchNorm2d(numFeatures: 4), ReLU(), try resnetBlock(4, 4, stride: 1, size: 28),
                try resnetBlock(4, 8, stride: 2, size: 28), try resnetBlock(8, 8, stride: 2, size: 14),
                GlobalAvgPool2d(), Flatten(), Dense(inFeatures: 8, outFeatures: 10),
            ],
            inputShape: [1, 28, 28])
    }

    private enum Loss { case crossEntropy, distillation }

    /// Heap allocations made by `steps` training steps after `warmup` steps, and the parallel
    /// jobs handed to the worker threads meanwhile. `augment` is applied to the batch in place
    /// first, as `TrainingStep` does (a new epoch's key every step), its mixed labels (when it
    /// mixes) going to the loss.
    private func allocations(
        _ model: Sequential, _ optimizer: Optimizer, loss: Loss, augment: BatchAugmentation? = nil, batch: Int = 64,
        warmup: Int = 3, steps: Int = 5, features: (() -> Void)? = nil
    ) -> (count: Int, jobs: Int) {
        kd_malloc_exclude_library("libopenblas")
        var rng = SplitMix64(seed: 9)
        for p in model.parameters { for i in p.value.data.indices { p.value.data[i] = rng.uniform(-0.1, 0.1) } }
        let x = Tensor(shape: [batch, 1, 28, 28])
        for i in x.data.indices { x.data[i] = rng.nextUnit() }
        let labels = (0..<batch).map { Int32($0 % 10) }
        let teacherTarget = Tensor(shape: [0])
        let teacherLogits = Tensor(shape: [batch, 10])
        for i in teacherLogits.data.indices { teacherLogits.data[i] = rng.uniform(-3, 3) }
        softTargets(teacherLogits: teacherLogits, temperature: 4, into: teacherTarget)
        let gradient = Tensor(shape: [0])
        let indices = (0..<batch).map { $0 * 37 }
        var key = AugmentKey(seed: 1, phase: 2, epoch: 0)
        var partnerLabels = [Int32](repeating: 0, count: batch)
        var lambdas = [Float](repeating: 1, count: batch)
        func step() {
            var mix: LabelMix?
            if let augment {
                if augment.apply(
                    to: x, indices: indices, labels: labels, key: key, partnerLabels: &partnerLabels, lambdas: &lambdas)
                {
                    mix = LabelMix(partnerLabels: partnerLabels, lambdas: lambdas)
                }
                key.epoch += 1
            }
            model.zeroGrad()
            let logits = model.forward(x, training: true)
            switch loss {
            case .crossEntropy:
                if let mix {
                    _ = mixedCrossEntropy(logits: logits, labels: labels, mix: mix, gradient: gradient)
                } else {
                    _ = crossEntropy(logits: logits, labels: labels, gradient: gradient)
                }
            case .distillation:
                _ = distillationLoss(
                    studentLogits: logits, teacherTarget: teacherTarget, labels: labels,
                    temperature: 4, alpha: 0.9, mix: mix, gradient: gradient)
            }
            features?()
            model.accumulateGradients(gradient)
            optimizer.step(learningRate: 1e-3)
        }
        for _ in 0..<warmup { step() }
        let (before, jobsBefore, blasBefore) = (kd_malloc_count(), Parallel.dispatchedJobs, kd_malloc_excluded_count())
        for _ in 0..<steps { step() }
        let (count, jobs, blas) = (
            kd_malloc_count() - before, Parallel.dispatchedJobs - jobsBefore,
            kd_malloc_excluded_count() - blasBefore
        )
        print("[alloc] OpenBLAS's own allocations: \(blas)")
        return (count, jobs)
    }

    private func requireCounting() throws {
        let before = kd_malloc_count()
        guard before >= 0 else { throw XCTSkip("malloc counting needs glibc") }
        let probe = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        probe.deallocate()
        guard kd_malloc_count() > before else { throw XCTSkip("malloc is not interposed in this binary") }
    }

    /// Asserts that 5 steps of `model` allocate nothing and hand work to the worker threads.
    private func assertStepsAllocateNothing(
        _ label: String, _ model: Sequential, _ optimizer: Optimizer, loss: Loss, augment: BatchAugmentation? = nil,
        features: (() -> Void)? = nil
    ) {
        let (count, jobs) = allocations(model, optimizer, loss: loss, augment: augment, features: features)
        print("[alloc] \(label): \(count) allocations, \(jobs) parallel jobs in 5 steps")
        XCTAssertEqual(count, 0, label)
        XCTAssertGreaterThan(jobs, 0, "\(label): the steps must have used the worker threads")
    }

    func testMLPStepWithAdamAndKDAllocatesNothing() throws {
        try requireCounting()
        let model = try mlp()
        assertStepsAllocateNothing(
            "MLP 784-256-10 (dropout), KD loss, Adam", model, Adam(parameters: model.parameters),
            loss: .distillation)
    }

    func testCNNStepWithSGDAndCrossEntropyAllocatesNothing() throws {
        try requireCounting()
        let model = try cnn()
        assertStepsAllocateNothing(
            "CNN conv/BN/pool/dropout, CE loss, SGD Nesterov", model,
            SGD(parameters: model.parameters, momentum: 0.9, nesterov: true), loss: .crossEntropy)
    }

    func testCNNStepWithAdamWAndKDAllocatesNothing() throws {
        try requireCounting()
        let model = try cnn()
        assertStepsAllocateNothing(
            "CNN, KD loss, AdamW", model, AdamW(parameters: model.parameters), loss: .distillation)
    }

    func testResNetStepWithAdamAndKDAllocatesNothing() throws {
        try requireCounting()
        let model = try resnet()
        assertStepsAllocateNothing(
            "ResNet (identity and projection blocks, global pooling), KD loss, Adam", model,
            Adam(parameters: model.parameters), loss: .distillation)
    }

    func testAugmentedCNNStepWithAdamAndKDAllocatesNothing() throws {
        try requireCounting()
        let model = try cnn()
        assertStepsAllocateNothing(
            "CNN, crop 2 + flip 0.5, KD loss, Adam", model, Adam(parameters: model.parameters), loss: .distillation,
            augment: BatchAugmentation(cropFlip: CropFlip(padding: 2, cropProbability: 1, flipProbability: 0.5)))
    }

    func testCNNStepWithMixupAndCutmixAllocatesNothing() throws {
        try requireCounting()
        let augment = BatchAugmentation(
            cropFlip: CropFlip(padding: 2, cropProbability: 1, flipProbability: 0.5),
            mix: MixPairs(mixup: .init(alpha: 0.8), cutmix: .init(alpha: 1)))
        for loss in [Loss.distillation, .crossEntropy] {
            let model = try cnn()
            assertStepsAllocateNothing(
                "CNN, crop 2 + flip 0.5 + mixup 0.8 / cutmix 1, \(loss), Adam", model,
                Adam(parameters: model.parameters),
                loss: loss, augment: augment)
        }
    }

    /// Feature taps cost no allocation: a hint through a trained 1x1 conv regressor at the
    /// ResNet's first block and attention transfer (student pooled 7x7 -> 4x4) at its last, both
    /// against fixed teacher features, their gradients added into the tapped outputs.
    func testResNetStepWithHintAndAttentionTapsAllocatesNothing() throws {
        try requireCounting()
        let model = try resnet()
        let (hintTap, attentionTap) = (model.tap(layer: 3), model.tap(layer: 5))
        let regressor = try Sequential([Conv2d(inChannels: 4, outChannels: 6, kernelSize: 1)], inputShape: [4, 28, 28])
        let attention = try AttentionTransfer(student: attentionTap.shape, teacher: [5, 4, 4])
        var rng = SplitMix64(seed: 12)
        let hintTeacher = Tensor(shape: [64, 6, 28, 28])
        let attentionTeacher = Tensor(shape: [64, 5, 4, 4])
        for t in [hintTeacher, attentionTeacher] { for i in t.data.indices { t.data[i] = rng.nextUnit() } }
        let regressed = Tensor(shape: [0])
        assertStepsAllocateNothing(
            "ResNet, KD loss + hint (conv1x1) + attention (pooled), Adam", model,
            Adam(parameters: model.parameters + regressor.parameters), loss: .distillation
        ) {
            regressor.zeroGrad()
            guard let hinted = hintTap.feature, let attended = attentionTap.feature else { return }
            _ = hintLoss(
                regressed: regressor.forward(hinted, training: true), teacher: hintTeacher, weight: 0.5,
                gradient: regressed)
            hintTap.gradient.copy(from: regressor.backward(regressed))
            hintTap.markGradient()
            _ = attention.loss(student: attended, teacher: attentionTeacher, weight: 2, gradient: attentionTap.gradient)
            attentionTap.markGradient()
        }
    }

    /// `accumulateGradients` leaves exactly the parameter gradients `backward` leaves.
    func testAccumulateGradientsEqualsBackwardsParameterGradients() throws {
        for build in [mlp, cnn, resnet] {
            let a = try build()
            let b = try build()
            var rng = SplitMix64(seed: 5)
            for (p, q) in zip(a.parameters, b.parameters) {
                for i in p.value.data.indices { p.value.data[i] = rng.uniform(-0.2, 0.2) }
                q.value.data = p.value.data
            }
            let x = Tensor(shape: [8, 1, 28, 28])
            for i in x.data.indices { x.data[i] = rng.nextUnit() }
            let labels = (0..<8).map { Int32($0) }
            for (model, full) in [(a, true), (b, false)] {
                let g = Tensor(shape: [0])
                _ = crossEntropy(logits: model.forward(x, training: false), labels: labels, gradient: g)
                if full { model.backward(g) } else { model.accumulateGradients(g) }
            }
            for (p, q) in zip(a.parameters, b.parameters) { XCTAssertEqual(p.grad.data, q.grad.data) }
        }
    }
}
