"""DeepCluster (Caron et al., ECCV 2018) built step by step in nbdev notebooks: a course and a reproduction kit

Modules:

- `deepcluster_nb.data`: The two transforms of the paper, and the data sets the kit reads: ImageFolder trees (ImageNet), CIFAR-10, a generated set of shapes whose true classes we know, and real handwritten digits.
- `deepcluster_nb.evaluate`: Clustering scores, linear probes on frozen conv layers, kNN, pictures of what the network learned, and a loader for the official checkpoints.
- `deepcluster_nb.pca`: Before k-means, the 4096-d features are reduced to 256 dimensions by PCA, whitened, and each row is scaled to unit length.
- `deepcluster_nb.small`: DeepCluster's choices were sized for 224-px ImageNet crops and 4,096-wide layers. On real 32-px images some of them stop the network from learning. A bisection, one change at a time, finds which, and why."""

__version__ = "0.1.0"
