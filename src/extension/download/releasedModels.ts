// The released DeepCluster models the "Download a Released Model…" command offers: the 2018 AlexNet and VGG16
// (facebookresearch/deepcluster README) and DeepCluster-v2's ResNet-50 (facebookresearch/swav README, 800
// epochs, 2x224 + 6x96 multi-crop, 75.2 linear top-1 on ImageNet).
export interface ReleasedModel {
  id: string;
  label: string;
  detail: string;
  url: string;
  /** Name in the extension's global storage. */
  file: string;
}

export const RELEASED_MODELS: readonly ReleasedModel[] = [
  {
    id: 'alexnet',
    label: 'DeepCluster AlexNet (2018)',
    detail: 'AlexNet-BN + Sobel trained on ImageNet, k = 10 000; ~480 MB',
    url: 'https://dl.fbaipublicfiles.com/deepcluster/alexnet/checkpoint.pth.tar',
    file: 'deepcluster-alexnet.pth.tar',
  },
  {
    id: 'vgg16',
    label: 'DeepCluster VGG16 (2018)',
    detail: 'VGG16-BN + Sobel trained on ImageNet, k = 10 000; ~640 MB',
    url: 'https://dl.fbaipublicfiles.com/deepcluster/vgg16/checkpoint.pth.tar',
    file: 'deepcluster-vgg16.pth.tar',
  },
  {
    id: 'deepclusterv2-resnet50',
    label: 'DeepCluster-v2 ResNet-50 (800 epochs)',
    detail: 'swav release: ResNet-50 trunk, projection head and 3 x 3000 prototypes; ~100 MB',
    url: 'https://dl.fbaipublicfiles.com/deepcluster/deepclusterv2_800ep_pretrain.pth.tar',
    file: 'deepclusterv2_800ep_pretrain.pth.tar',
  },
];
