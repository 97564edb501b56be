"""reliefplan: plan evacuation, sheltering and supply of a displaced population."""
