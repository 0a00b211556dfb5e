"""PSGAN-style makeup transfer generator (no AMM) and its training code.

References used for architecture and constants:
  PSGAN:     Jiang et al., "PSGAN: Pose and Expression Robust Spatial-Aware GAN for
             Customizable Makeup Transfer", CVPR 2020.
  BeautyGAN: Li et al., "BeautyGAN: Instance-level Facial Makeup Transfer with Deep
             Generative Adversarial Network", ACM MM 2018.
  SFT:       Wang et al., "Recovering Realistic Texture in Image Super-resolution by
             Deep Spatial Feature Transform", CVPR 2018.
"""

__all__ = ["config", "networks", "discriminators", "regions", "losses", "features",
           "onnx_import", "data", "trainer", "export", "device"]
