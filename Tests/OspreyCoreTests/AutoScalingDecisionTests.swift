import Foundation
import OspreyCore
import Testing

@Suite struct AutoScalingDecisionTests {
    static let start = Date(timeIntervalSince1970: 10_000)
    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }
    static let variant = ScalableVariant(endpointName: "ep", variantName: "AllTraffic")

    static func target(min: Int = 1, max: Int = 3) -> ScalableTarget {
        ScalableTarget(
            accountId: "000000000000", variant: variant, minCapacity: min, maxCapacity: max, roleARN: "role", arn: "arn", creationTime: start)
    }

    static func policy(_ name: String = "p", target: Double, scaleIn: Int = 60, scaleOut: Int = 30, disableScaleIn: Bool = false) -> ScalingPolicy {
        ScalingPolicy(
            accountId: "000000000000", variant: variant, name: name, arn: "arn:\(name)", creationTime: start, targetValue: target,
            scaleInCooldownSeconds: scaleIn, scaleOutCooldownSeconds: scaleOut, disableScaleIn: disableScaleIn, configuration: .object([:]))
    }

    static func decide(
        current: Int, perMinute: Double, _ policies: [ScalingPolicy], target: ScalableTarget = target(), lastOut: Double? = nil,
        last: Double? = nil, now: Double = 1_000
    ) -> ScalingDecision {
        AutoScalingDecision.decide(
            current: current, perMinute: perMinute, target: target, policies: policies, lastScaleOut: lastOut.map(at),
            lastScaling: last.map(at), now: at(now))
    }

    static func capacity(_ decision: ScalingDecision) -> Int? {
        guard case .scale(let capacity, _) = decision else { return nil }
        return capacity
    }

    @Test func capacityHoldsTheRateAtTheTargetPerInstance() {
        #expect(AutoScalingDecision.capacity(forPerMinute: 0, targetValue: 10) == 0)
        #expect(AutoScalingDecision.capacity(forPerMinute: 1, targetValue: 10) == 1)
        #expect(AutoScalingDecision.capacity(forPerMinute: 30, targetValue: 10) == 3)
        // 0.1 * 3 is 0.30000000000000004 in binary: still exactly three times the target.
        #expect(AutoScalingDecision.capacity(forPerMinute: 0.1 * 3, targetValue: 0.1) == 3)
        #expect(AutoScalingDecision.capacity(forPerMinute: 31, targetValue: 10) == 4)
    }

    @Test func ratesScaleOutAndInWithinTheBounds() {
        let policy = Self.policy(target: 10)
        #expect(Self.capacity(Self.decide(current: 1, perMinute: 25, [policy])) == 3)
        // Clamped to MaxCapacity, and to MinCapacity with no traffic at all.
        #expect(Self.capacity(Self.decide(current: 1, perMinute: 1_000, [policy])) == 3)
        #expect(Self.capacity(Self.decide(current: 3, perMinute: 0, [policy])) == 1)
        #expect(Self.decide(current: 2, perMinute: 20, [policy]) == .hold)
        #expect(Self.decide(current: 3, perMinute: 1_000, [policy]) == .hold)
        // No policy: nothing but the bounds.
        #expect(Self.decide(current: 2, perMinute: 1_000, []) == .hold)
    }

    @Test func theCauseNamesThePolicyAndThePerInstanceMetric() throws {
        guard case .scale(_, let cause) = Self.decide(current: 2, perMinute: 100, [Self.policy("busy", target: 10)]) else {
            Issue.record("expected a scale-out")
            return
        }
        #expect(cause == "SageMakerVariantInvocationsPerInstance was 50.00 (target 10.00) triggered policy busy")
    }

    @Test func countsOutsideTheBoundsComeInsideWhateverTheCooldowns() {
        let policy = Self.policy(target: 10)
        let narrow = Self.target(min: 2, max: 4)
        #expect(
            Self.decide(current: 1, perMinute: 0, [policy], target: narrow, lastOut: 999, last: 999)
                == .scale(to: 2, cause: "minimum capacity was set to 2"))
        #expect(Self.decide(current: 6, perMinute: 1_000, [], target: narrow) == .scale(to: 4, cause: "maximum capacity was set to 4"))
        #expect(AutoScalingDecision.bounds(current: 3, target: narrow) == nil)
    }

    @Test func scaleOutWaitsOutItsCooldownAfterAScaleOut() {
        let policy = Self.policy(target: 10, scaleIn: 60, scaleOut: 30)
        let target = Self.target(max: 5)
        #expect(Self.decide(current: 2, perMinute: 50, [policy], target: target, lastOut: 980, last: 980) == .hold)
        #expect(Self.capacity(Self.decide(current: 2, perMinute: 50, [policy], target: target, lastOut: 970, last: 970)) == 5)
        // A recent scale-in does not hold a scale-out back.
        #expect(Self.capacity(Self.decide(current: 2, perMinute: 50, [policy], target: target, lastOut: 100, last: 999)) == 5)
    }

    @Test func scaleInWaitsOutItsCooldownAfterAnyScalingAndHonoursDisableScaleIn() {
        let policy = Self.policy(target: 10, scaleIn: 60, scaleOut: 30)
        #expect(Self.decide(current: 3, perMinute: 5, [policy], lastOut: 950, last: 950) == .hold)
        #expect(Self.capacity(Self.decide(current: 3, perMinute: 5, [policy], lastOut: 940, last: 940)) == 1)
        #expect(Self.decide(current: 3, perMinute: 5, [policy], lastOut: 100, last: 990) == .hold)
        let never = Self.policy(target: 10, disableScaleIn: true)
        #expect(Self.decide(current: 3, perMinute: 0, [never]) == .hold)
        #expect(Self.capacity(Self.decide(current: 1, perMinute: 25, [never])) == 3)
    }

    @Test func severalPoliciesScaleOutToTheLargestAndInOnlyWhenAllAgree() {
        let tight = Self.policy("tight", target: 5)
        let loose = Self.policy("loose", target: 20)
        let target = Self.target(max: 10)
        #expect(Self.capacity(Self.decide(current: 1, perMinute: 40, [tight, loose], target: target)) == 8)
        // loose is content with 2 at 40 per minute: tight alone cannot scale in.
        #expect(Self.decide(current: 2, perMinute: 40, [Self.policy("other", target: 40), loose], target: target) == .hold)
        #expect(Self.capacity(Self.decide(current: 9, perMinute: 40, [tight, loose], target: target)) == 8)
        let blocked = Self.policy("blocked", target: 20, disableScaleIn: true)
        #expect(Self.decide(current: 9, perMinute: 40, [tight, blocked], target: target) == .hold)
    }

    @Test func suspendedStateHoldsItsDirection() {
        let policy = Self.policy(target: 10)
        var target = Self.target()
        target.scaleOutSuspended = true
        #expect(Self.decide(current: 1, perMinute: 100, [policy], target: target) == .hold)
        #expect(Self.capacity(Self.decide(current: 3, perMinute: 0, [policy], target: target)) == 1)
        target.scaleOutSuspended = false
        target.scaleInSuspended = true
        #expect(Self.decide(current: 3, perMinute: 0, [policy], target: target) == .hold)
    }

    @Test func theWindowExtrapolatesToAMinuteAndRestartsWhenTheCountGoesDown() {
        var window = InvocationWindow(length: 10)
        window.record(count: 100, at: Self.at(0))
        #expect(window.perMinute == nil)
        window.record(count: 110, at: Self.at(5))
        #expect(window.perMinute == 120)
        window.record(count: 130, at: Self.at(10))
        window.record(count: 130, at: Self.at(15))
        // The sample at 0 fell out; 5...15 saw 20 invocations in 10 seconds.
        #expect(window.samples.count == 3)
        #expect(window.perMinute == 120)
        window.record(count: 130, at: Self.at(25))
        #expect(window.perMinute == 0)
        window.record(count: 3, at: Self.at(26))
        #expect(window.perMinute == nil)
        window.record(count: 9, at: Self.at(28))
        #expect(window.perMinute == 180)
    }
}
