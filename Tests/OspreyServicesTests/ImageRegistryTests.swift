import OspreyServices
import Testing

@Suite struct ImageRegistryTests {
    @Test func imagesMapToEnvironments() {
        #expect(ImageRegistry.environment(for: "osprey/python")?.packages == [])
        #expect(ImageRegistry.environment(for: "osprey/python:3.11")?.name == "python")
        let sklearn = ImageRegistry.environment(for: "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3")
        #expect(sklearn?.name == "sklearn-1.2" && sklearn?.packages == ["scikit-learn==1.2.*", "pandas", "numpy<2"])
        let newer = ImageRegistry.environment(for: "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3")
        #expect(newer?.packages == ["scikit-learn==1.4.*", "pandas"])
        let xgboost = ImageRegistry.environment(for: "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")
        #expect(xgboost?.name == "xgboost-1.7")
        let torch = ImageRegistry.environment(for: "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1-cpu-py310")
        #expect(torch?.packages == ["torch==2.1.*"])
    }

    @Test(arguments: [
        "python:3.11", "123.dkr.ecr.us-east-1.amazonaws.com/my-own:1.0", "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1-gpu-py310",
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:latest", "osprey/pythonic",
    ])
    func unknownImagesAreNil(_ image: String) {
        #expect(ImageRegistry.environment(for: image) == nil)
    }
}
