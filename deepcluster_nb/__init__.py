"""DeepCluster (Caron et al., ECCV 2018) built step by step in nbdev notebooks: a course and a reproduction kit

Modules:

- `deepcluster_nb.data`: The data sets the kit reads: ImageFolder trees (ImageNet), CIFAR-10, the generated shapes, and real handwritten digits; and the wrapper that gives each image its pseudo-label.
- `deepcluster_nb.distributed`: Features computed in shards, PCA from summed moments, k-means on one process, each batch split across GPUs.
- `deepcluster_nb.evaluate`: Clustering scores, linear probes on frozen conv layers, kNN, pictures of what the network learned, and a loader for the official checkpoints.
- `deepcluster_nb.fast`: For small data sets, hold every image on the device as one uint8 tensor and make both views there, in batches. For ImageNet, cache the clustering view once on disk, and make the training view where it is fastest: in CPU workers, sent as uint8, or decoded and cropped on the GPU in batches.
- `deepcluster_nb.folder`: DeepCluster on a folder of unlabelled images: who went where, how typical each image is, a way to look through the groups, and the trained network kept for other work.
- `deepcluster_nb.pca`: Before k-means, the 4096-d features are reduced to 256 dimensions by PCA, whitened, and each row is scaled to unit length.
- `deepcluster_nb.retrieval`: The paper's retrieval test (§5.3): describe each image by its conv5 maps pooled over regions (R-MAC), whitened on another data set, and rank a database by similarity to a query, scored with the Oxford protocol.
- `deepcluster_nb.voc`: Pascal VOC 2007 classification as the paper measures it: a reader for the real layout, per-class average precision, a linear classifier per class on frozen features, and the official fine-tuning."""

__version__ = "0.1.0"
