from kubexm.common import roles


def test_roles_are_the_role_group_keys_in_order() -> None:
    assert roles.ROLES == ("master", "worker", "etcd", "loadbalancer", "storage", "registry")


def test_node_role_labels_use_the_kubernetes_prefix() -> None:
    for label in (roles.LABEL_CONTROL_PLANE, roles.LABEL_MASTER, roles.LABEL_WORKER):
        assert label.startswith("node-role.kubernetes.io/")
